/**
 * The Knative Pod Autoscaler's decision, as a pure function of observed concurrency over time
 * (knative/serving pkg/autoscaler/scaling/autoscaler.go): desired replicas follow the average
 * concurrency over the stable window divided by the per-replica target; a burst seen over the
 * short panic window that would need panic-threshold × the ready replicas switches to panic mode,
 * which scales up at once and does not scale down until a stable window passes calmly.
 */
import type { ScalingSpec } from "./scaling-config.js";

export interface Decision {
  desired: number;
  reason: string;
  panic: boolean;
  stableConcurrency: number;
  panicConcurrency: number;
}

interface Sample {
  at: number;
  concurrency: number;
}

export class Kpa {
  private readonly samples: Sample[] = [];
  private panicSince: number | undefined;
  private lastPanicSignal = 0;
  private lastActive: number;
  /** When traffic was last seen, not counting the start: only real traffic wakes a Service from zero. */
  private lastTraffic = Number.NEGATIVE_INFINITY;
  private zeroCandidateSince: number | undefined;
  private readonly recent: { at: number; desired: number }[] = [];
  private previous: number;

  constructor(
    readonly spec: ScalingSpec,
    now: number,
    initial: number,
  ) {
    this.lastActive = now;
    this.previous = initial;
  }

  /** One observation: average in-flight requests across all replicas since the last one. */
  record(now: number, concurrency: number): void {
    this.samples.push({ at: now, concurrency });
    if (concurrency > 0) this.lastActive = this.lastTraffic = now;
    const horizon = now - this.spec.stableWindowMs;
    while (this.samples.length && this.samples[0]!.at < horizon) this.samples.shift();
  }

  /** Traffic is waiting at the activator for a Service with no ready replica. */
  noteActivation(now: number): void {
    this.lastActive = this.lastTraffic = now;
  }

  decide(now: number, ready: number): Decision {
    const { spec } = this;
    const stable = average(this.samples, now - spec.stableWindowMs);
    const panicAvg = average(this.samples, now - spec.panicWindowMs);
    const readyForRate = Math.max(1, ready);
    const maxUp = Math.ceil(spec.maxScaleUpRate * readyForRate);
    const maxDown = Math.floor(readyForRate / spec.maxScaleDownRate);
    const clampRate = (n: number) => Math.min(maxUp, Math.max(maxDown, n));
    const desiredStable = clampRate(Math.ceil(stable / spec.targetPerReplica));
    const desiredPanic = clampRate(Math.ceil(panicAvg / spec.targetPerReplica));

    let reason: string;
    const overThreshold = ready > 0 && desiredPanic / ready >= spec.panicThresholdPct / 100;
    if (overThreshold) {
      if (this.panicSince === undefined) this.panicSince = now;
      this.lastPanicSignal = now;
    } else if (this.panicSince !== undefined && now - this.lastPanicSignal >= spec.stableWindowMs) {
      this.panicSince = undefined;
    }

    let desired: number;
    if (this.panicSince !== undefined) {
      desired = Math.max(desiredPanic, this.previous);
      reason = `panic: ${panicAvg.toFixed(1)} in flight over the panic window, target ${spec.targetPerReplica.toFixed(1)}/replica`;
    } else {
      desired = desiredStable;
      reason = `stable: ${stable.toFixed(1)} in flight over the stable window, target ${spec.targetPerReplica.toFixed(1)}/replica`;
    }

    // scale-down-delay: hold the highest recent decision for the delay.
    if (spec.scaleDownDelayMs > 0) {
      this.recent.push({ at: now, desired });
      while (this.recent.length && this.recent[0]!.at < now - spec.scaleDownDelayMs)
        this.recent.shift();
      const held = Math.max(...this.recent.map((r) => r.desired));
      if (held > desired) {
        desired = held;
        reason = `scale-down-delay holds ${held}`;
      }
    }

    // Waking from zero: at least activation-scale.
    if (ready === 0 && now - this.lastTraffic < 1000 && desired < spec.activationScale) {
      desired = spec.activationScale;
      reason = `activation: a request is waiting and no replica is ready`;
    } else if (desired > 0 && desired < spec.activationScale) {
      desired = spec.activationScale;
    }

    // To zero only after the grace period and the pod retention period have passed without traffic.
    if (desired === 0) {
      const mayZero = spec.enableScaleToZero && spec.minScale === 0;
      const idle = now - this.lastActive;
      // The grace period starts once a whole stable window has passed without traffic (right
      // after start the average of a partial window is 0 too), and the pod retention period
      // counts from the last request.
      if (idle >= spec.stableWindowMs) this.zeroCandidateSince ??= now;
      if (
        mayZero &&
        this.zeroCandidateSince !== undefined &&
        now - this.zeroCandidateSince >= spec.scaleToZeroGraceMs &&
        idle >= spec.retentionMs
      ) {
        reason = `to zero: no traffic for ${Math.round(idle / 1000)} s (window, grace and retention passed)`;
      } else if (this.previous > 0) {
        desired = 1;
        reason = mayZero
          ? "idle: waiting out the scale-to-zero grace and retention periods"
          : "idle";
      }
    } else {
      this.zeroCandidateSince = undefined;
    }

    const upper = spec.maxScale > 0 ? spec.maxScale : Infinity;
    if (desired < spec.minScale) {
      desired = spec.minScale;
      reason = `min-scale ${spec.minScale}`;
    }
    if (desired > upper) {
      desired = upper;
      reason += `; capped by max-scale ${spec.maxScale}`;
    }
    this.previous = desired;
    return {
      desired,
      reason,
      panic: this.panicSince !== undefined,
      stableConcurrency: stable,
      panicConcurrency: panicAvg,
    };
  }
}

function average(samples: readonly Sample[], since: number): number {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.at >= since) {
      sum += s.concurrency;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}
