/**
 * How many Erlang schedulers (the threads that run Erlang code) a private local RabbitMQ node
 * runs. In a pod, Erlang starts one per CPU of the container's quota (OTP 23 and later read the
 * cgroup's CPU limit: 2 for rabbitmq-eventing/rabbitmq-cluster.yaml). A local node has no quota,
 * so Erlang would start one per core of the machine, and those cores are shared with the ingress,
 * every consumer, the dispatchers and the platform. So the local node runs as many as the CPU its
 * RabbitmqCluster requests (rounded up, at least one, at most the machine's cores): a request read
 * as what a process is promised on a shared machine, as the platform reads the functions' requests
 * (serving/cpu-weight.ts).
 *
 * Why it pays, measured (the budget of `npm run bench` with `--private-rabbitmq` on a 2-core VM,
 * 2026-12-04, three pairs of runs of 2 trials, interleaved): with one scheduler against two,
 * RabbitMQ spent 249, 284 and 248 µs per event against 291, 340 and 300, and its threads switched
 * 1.6 times per event against 3.0; the whole system spent 0.96, 0.89 and 0.86 of the CPU per event.
 * Two schedulers on two busy cores hand work to each other and wake each other; one does the same
 * work without the hand-offs.
 */
import { availableParallelism } from "node:os";
import { loadManifests, type RabbitmqClusterSpec } from "./manifests.js";

/**
 * The scheduler count for a node of these RabbitmqClusters (the largest request, if several
 * declare one); undefined, Erlang's own count, when none requests CPU.
 */
export function erlangSchedulers(
  clusters: readonly Pick<RabbitmqClusterSpec, "cpuRequestMillis">[],
  cores = availableParallelism(),
): number | undefined {
  const requests = clusters.flatMap((c) => (c.cpuRequestMillis ? [c.cpuRequestMillis] : []));
  if (requests.length === 0) return undefined;
  return Math.max(1, Math.min(Math.floor(cores), Math.ceil(Math.max(...requests) / 1000)));
}

/** The count for the manifests in `dirs`, for a node started outside the platform (bench, tests). */
export function manifestSchedulers(dirs: readonly string[]): number | undefined {
  return erlangSchedulers(loadManifests(dirs).rabbitmqClusters);
}

/** Erlang's flag for it: that many schedulers, all online. */
export function schedulersFlag(schedulers: number | undefined): string {
  return schedulers === undefined ? "" : `+S ${schedulers}:${schedulers}`;
}
