/**
 * The KPA's decision for one tick, as knative/serving computes it in
 * pkg/autoscaler/scaling/autoscaler.go (`Scale`): from the observed concurrency over the stable
 * and the panic window and the ready replicas, the replicas it wants and the excess burst
 * capacity that decides whether the activator stays in the request path. Time is an argument, so
 * tests drive the clock; the only state is the panic mode and the scale-down-delay window.
 */

/** Knative's autoscaler ticks every 2 s (pkg/autoscaler/scaling/multiscaler.go, tickInterval). */
export const KNATIVE_TICK_MS = 2_000;

export interface DeciderSpec {
  /** Concurrency one replica should carry: total × utilisation. */
  targetValue: number;
  /** Concurrency one replica can carry (containerConcurrency, or the target). */
  totalValue: number;
  /** -1: the activator stays in the path; 0: never needed; > 0: spare capacity to keep. */
  targetBurstCapacity: number;
  /** A ratio: panic-threshold-percentage / 100. */
  panicThreshold: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  /** 0 or 1: none. */
  activationScale: number;
  scaleDownDelayMs: number;
  stableWindowMs: number;
  /** Knative marks a revision unreachable when no route sends it traffic; locally always true. */
  reachable: boolean;
}

export interface ScaleResult {
  desired: number;
  /** ≥ 0: the replicas can take the burst without the activator; < 0: it stays in the path. */
  excessBurstCapacity: number;
  panic: boolean;
}

export class Decider {
  /** When the panic was last confirmed; undefined when not panicking. */
  private panicTime: number | undefined;
  private maxPanicPods: number;
  private readonly delay: { index: number; value: number }[] = [];

  /**
   * A decider created over more than one ready replica starts in panic mode, so a restart does not
   * scale down before it has seen a stable window of data.
   */
  constructor(
    private readonly spec: DeciderSpec,
    readyAtStart: number,
    now: number,
  ) {
    this.maxPanicPods = readyAtStart;
    if (readyAtStart > 1) this.panicTime = now;
  }

  /**
   * Example (target 10, total 10/0.75, TBC 100, 1 ready replica, stable 50, panic 50): 5 replicas
   * wanted (ceil(50/10)); 50/1 ≥ 2 starts a panic; excess burst capacity floor(13.3 − 100 − 50) =
   * −137, so the activator stays in the path.
   */
  scale(now: number, ready: number, observedStable: number, observedPanic: number): ScaleResult {
    const spec = this.spec;
    // With no ready replica the rates are computed as for one.
    const readyForRates = Math.max(1, ready);
    // ceil: a slow rate (1.1 × 2 = 2.2) still grows by at least one replica.
    const maxScaleUp = Math.ceil(spec.maxScaleUpRate * readyForRates);
    const maxScaleDown = spec.reachable ? Math.floor(readyForRates / spec.maxScaleDownRate) : 0;

    const dspc = Math.ceil(observedStable / spec.targetValue);
    const dppc = Math.ceil(observedPanic / spec.targetValue);
    const clamp = (n: number) => Math.min(Math.max(n, maxScaleDown), maxScaleUp);
    let desiredStable = clamp(dspc);
    let desiredPanic = clamp(dppc);
    if (spec.activationScale > 1) {
      if (dspc > 0 && spec.activationScale > desiredStable) desiredStable = spec.activationScale;
      if (dppc > 0 && spec.activationScale > desiredPanic) desiredPanic = spec.activationScale;
    }

    // The threshold compares the unclamped panic count with the ready replicas (at least one).
    const overThreshold = dppc / readyForRates >= spec.panicThreshold;
    if (overThreshold) {
      this.panicTime = now;
    } else if (this.panicTime !== undefined && this.panicTime + spec.stableWindowMs < now) {
      // The surge has made its way into the stable window: calm again.
      this.panicTime = undefined;
      this.maxPanicPods = 0;
    }

    let desired = desiredStable;
    if (this.panicTime !== undefined) {
      // In panic, provision for the larger of both windows and never scale down.
      desired = Math.max(desiredStable, desiredPanic, this.maxPanicPods);
      this.maxPanicPods = desired;
    }

    // scale-down-delay: the highest decision over the delay, kept in 2 s buckets as Knative keeps
    // it (pkg/autoscaler/aggregation/max/timewindow.go).
    if (spec.reachable && spec.scaleDownDelayMs > 0) desired = this.delayed(now, desired);

    // EBC = total capacity − target burst capacity − panic concurrency, on the panic window so the
    // activator does not jump in and out of the path on every blip.
    let excessBurstCapacity = -1;
    if (spec.targetBurstCapacity === 0) excessBurstCapacity = 0;
    else if (spec.targetBurstCapacity > 0)
      excessBurstCapacity = Math.floor(
        ready * spec.totalValue - spec.targetBurstCapacity - observedPanic,
      );

    return { desired, excessBurstCapacity, panic: this.panicTime !== undefined };
  }

  private delayed(now: number, desired: number): number {
    const buckets = Math.ceil(this.spec.scaleDownDelayMs / KNATIVE_TICK_MS);
    const index = Math.floor(now / KNATIVE_TICK_MS);
    while (this.delay.length && index - this.delay[0]!.index >= buckets) this.delay.shift();
    const last = this.delay.at(-1);
    if (last?.index === index) last.value = Math.max(last.value, desired);
    else this.delay.push({ index, value: desired });
    return Math.max(...this.delay.map((d) => d.value));
  }
}
