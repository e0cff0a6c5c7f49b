/**
 * Simulated work, tunable by environment so benchmarks can make a consumer slower than a burst:
 * `WORK_MS` per event, CPU-shaped (holds the event loop, like parsing or rendering) or I/O-shaped
 * (waits, like a call to a payment gateway), and `FAIL_RATE`, the share of deliveries that fail
 * transiently.
 */
import { setTimeout as sleep } from "node:timers/promises";

export type WorkShape = "cpu" | "io";

export interface WorkOptions {
  ms: number;
  shape: WorkShape;
  failRate: number;
  random?: () => number;
}

export class TransientFailure extends Error {
  override readonly name = "TransientFailure";
}

export async function simulateWork(options: WorkOptions): Promise<void> {
  if ((options.random ?? Math.random)() < options.failRate)
    throw new TransientFailure("simulated transient failure (FAIL_RATE)");
  if (options.ms <= 0) return;
  if (options.shape === "io") {
    await sleep(options.ms);
    return;
  }
  const until = performance.now() + options.ms;
  // Busy work that the optimiser cannot drop: a running checksum.
  let x = 0;
  while (performance.now() < until) for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0;
  if (x === 42) console.log(""); // keeps `x` observable
}
