/**
 * CPU requests as scheduling weights. On Kubernetes a container's `resources.requests.cpu` (and,
 * for an eventing-rabbitmq dispatcher, its Trigger's `rabbitmq.eventing.knative.dev/cpu-request`)
 * becomes its cgroup's CPU weight: under contention, CPU is shared in proportion to requests.
 * Locally every process shares one machine, so the platform gives each the nice value whose
 * Linux CFS weight (1024 / 1.25^nice) keeps the same proportions, relative to the largest request.
 * That is what lets the ingress keep accepting during a burst while consumers drain the queues
 * with what is left, as separate nodes or requests would on a cluster.
 */

import type { ChildProcess } from "node:child_process";
import { setPriority } from "node:os";

export class CpuQuantityError extends Error {
  override readonly name = "CpuQuantityError";
}

/** A Kubernetes CPU quantity ("100m", "0.5", "2") in millicores. */
export function parseCpuMillis(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(m?)$/.exec(quantity.trim());
  if (!match)
    throw new CpuQuantityError(`"${quantity}" is not a CPU quantity (like 100m, 0.5 or 2)`);
  const value = Number(match[1]) * (match[2] === "m" ? 1 : 1000);
  if (value <= 0) throw new CpuQuantityError(`"${quantity}" must be more than zero`);
  return value;
}

/** CFS weights step by 1.25 per nice level; nice runs from 0 (this process's own) to 19. */
export function niceFor(requestMillis: number | undefined, largestMillis: number): number {
  if (requestMillis === undefined || largestMillis <= 0) return 0;
  const nice = Math.round(Math.log(largestMillis / requestMillis) / Math.log(1.25));
  return Math.min(19, Math.max(0, nice));
}

/** Lowers a child's priority; where the OS refuses (a restricted container), it runs at ours. */
export function setNice(child: ChildProcess, nice: number | undefined): void {
  if (!nice || child.pid === undefined) return;
  try {
    setPriority(child.pid, nice);
  } catch {
    // Not allowed here: equal weights, as before.
  }
}
