/**
 * The Knative Pod Autoscaler for one Service, as a pure function of observed concurrency over
 * time: the tick's decision (decider.ts, knative/serving pkg/autoscaler/scaling/autoscaler.go),
 * then what the PodAutoscaler reconciler makes of it (pkg/reconciler/autoscaling/kpa/kpa.go and
 * scaler.go): min/max and initial-scale bounds, the way to zero, the Active condition, and whether
 * the activator is in the request path.
 *
 * The way to zero, as upstream's handleScaleToZero takes it: once the wanted count is 0, a
 * Service that has been active for at least a stable window is marked inactive (its replicas
 * stay) and the activator takes the path; it goes to zero once it has been inactive for the
 * scale-to-zero-pod-retention-period and either inactive for the scale-to-zero-grace-period or
 * behind the activator for that long. A Service that was behind the activator all along (the
 * default burst capacity, with few replicas) therefore goes to zero one tick after it is marked
 * inactive: the grace period is already served.
 */
import { Decider } from "./decider.js";
import type { ScalingSpec } from "./scaling-config.js";

export interface Decision {
  desired: number;
  reason: string;
  panic: boolean;
  stableConcurrency: number;
  panicConcurrency: number;
  excessBurstCapacity: number;
  /** Knative's SKS "proxy" mode: requests pass through the activator. */
  activatorInPath: boolean;
  /** The PodAutoscaler's Active condition. */
  activity: Activity["state"];
}

interface Activity {
  state: "active" | "activating" | "inactive";
  since: number;
}

interface Sample {
  at: number;
  concurrency: number;
}

/** What the way to zero makes of a wanted count: apply it, or keep the replicas as they are. */
interface ZeroStep {
  want: number;
  apply: boolean;
  reason?: string;
}

export class Kpa {
  private readonly samples: Sample[] = [];
  private readonly decider: Decider;
  private activity: Activity;
  /** Knative's IsScaleTargetInitialized: initial-scale has been reached once. */
  private initialized = false;
  /** Since when the activator is in the path; undefined while it is out. */
  private proxySince: number | undefined;
  private previous: number;

  constructor(
    readonly spec: ScalingSpec,
    now: number,
    initial: number,
  ) {
    this.previous = initial;
    this.decider = new Decider(
      {
        targetValue: spec.targetPerReplica,
        totalValue: spec.totalPerReplica,
        targetBurstCapacity: spec.targetBurstCapacity,
        panicThreshold: spec.panicThresholdPct / 100,
        maxScaleUpRate: spec.maxScaleUpRate,
        maxScaleDownRate: spec.maxScaleDownRate,
        activationScale: spec.activationScale,
        scaleDownDelayMs: spec.scaleDownDelayMs,
        stableWindowMs: spec.stableWindowMs,
        reachable: true,
      },
      initial,
      now,
    );
    this.activity = { state: initial > 0 ? "activating" : "inactive", since: now };
    // A new revision starts behind the activator (the SKS is created in proxy mode).
    this.proxySince = now;
  }

  /** One observation: average in-flight requests across all replicas since the last one. */
  record(now: number, concurrency: number): void {
    this.samples.push({ at: now, concurrency });
    const horizon = now - this.spec.stableWindowMs;
    while (this.samples.length && this.samples[0]!.at < horizon) this.samples.shift();
  }

  /**
   * Requests wait at the activator for a Service with no ready replica: the activator reports
   * them as concurrency, as Knative's activator does before it pokes the autoscaler.
   */
  noteActivation(now: number, waiting = 1): void {
    this.record(now, Math.max(1, waiting));
  }

  decide(now: number, ready: number): Decision {
    const { spec } = this;
    const stable = average(this.samples, now - spec.stableWindowMs);
    const panicAvg = average(this.samples, now - spec.panicWindowMs);
    const result = this.decider.scale(now, ready, stable, panicAvg);

    const target = spec.targetPerReplica.toFixed(1);
    let reason = result.panic
      ? `panic: ${panicAvg.toFixed(1)} in flight over the panic window, target ${target}/replica`
      : `stable: ${stable.toFixed(1)} in flight over the stable window, target ${target}/replica`;

    // Bounds (scaler.go, scale): initial-scale counts as a minimum until it has been reached.
    let min = spec.minScale;
    if (spec.initialScale > 1 && !this.initialized) min = Math.max(min, spec.initialScale);
    let want = result.desired;
    if (want < min) {
      want = min;
      reason = `min-scale ${min}`;
    } else if (spec.maxScale > 0 && want > spec.maxScale) {
      want = spec.maxScale;
      reason += `; capped by max-scale ${spec.maxScale}`;
    }

    const step = this.towardZero(now, want);
    if (step.reason) reason = step.reason;
    if (step.apply && step.want > 0 && ready === 0 && this.previous === 0)
      reason = `activation: a request is waiting and no replica is ready (${reason})`;

    // kpa.go: the activator leaves the path only while replicas are wanted and the excess burst
    // capacity is not negative.
    const activatorInPath = !(step.want > 0 && result.excessBurstCapacity >= 0);
    if (!activatorInPath) this.proxySince = undefined;
    else this.proxySince ??= now;
    this.updateActivity(now, step.want, ready);

    const desired = step.apply ? step.want : this.previous;
    this.previous = desired;
    return {
      desired,
      reason,
      panic: result.panic,
      stableConcurrency: stable,
      panicConcurrency: panicAvg,
      excessBurstCapacity: result.excessBurstCapacity,
      activatorInPath,
      activity: this.activity.state,
    };
  }

  /** scaler.go, handleScaleToZero. */
  private towardZero(now: number, want: number): ZeroStep {
    const { spec } = this;
    if (want !== 0) return { want, apply: true };
    if (!spec.enableScaleToZero) return { want: 1, apply: true, reason: "idle" };
    const { state, since } = this.activity;
    if (state === "activating") {
      // Replicas asked for and not ready yet: the decision waits for them.
      return { want: -1, apply: false, reason: "activating: waiting for a ready replica" };
    }
    if (state === "active") {
      if (now - since >= spec.stableWindowMs)
        return {
          want: 0,
          apply: false,
          reason: "idle for a stable window: inactive, the activator takes the request path",
        };
      return { want: 1, apply: true, reason: "idle: active for less than a stable window" };
    }
    const inactiveFor = now - since;
    const grace = spec.scaleToZeroGraceMs;
    const retention = spec.retentionMs;
    const zero = (why: string): ZeroStep => ({ want: 0, apply: true, reason: `to zero: ${why}` });
    if (inactiveFor >= Math.max(grace, retention))
      return zero(`inactive for ${seconds(inactiveFor)}`);
    const waiting = "inactive: waiting out the scale-to-zero grace and retention periods";
    if (retention > 0 && inactiveFor < retention) return { want: 0, apply: false, reason: waiting };
    const proxyFor = this.proxySince === undefined ? 0 : now - this.proxySince;
    if (proxyFor >= grace)
      return zero(`inactive, and behind the activator for ${seconds(proxyFor)}`);
    return { want: 0, apply: false, reason: waiting };
  }

  /** kpa.go, computeActiveCondition. */
  private updateActivity(now: number, want: number, ready: number): void {
    const { spec } = this;
    const minReady = this.initialized
      ? Math.max(spec.minScale, 1)
      : Math.max(spec.minScale, spec.initialScale);
    if (ready >= minReady) this.initialized = true;
    const set = (state: Activity["state"]) => {
      if (this.activity.state !== state) this.activity = { state, since: now };
    };
    const inactive = this.activity.state === "inactive";
    if (want === 0 || minReady === 0) set("inactive");
    else if (ready < minReady) set(want > 0 || !inactive ? "activating" : "inactive");
    else if (want > 0 || !inactive) set("active");
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
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
