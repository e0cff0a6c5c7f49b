/**
 * The scaling decision as KEDA's rabbitmq scaler and the HPA behind it make it: activation and
 * cooldown from kedacore/keda pkg/scaling/executor/scale_scaledobjects.go (RequestScale,
 * scaleToZeroOrIdle, scaleFromZeroOrIdle), `isActive = messages > activationValue` and the
 * QueueLength metric from pkg/scalers/rabbitmq_scaler.go (GetMetricsAndActivity), defaults from
 * apis/keda/v1alpha1/scaledobject_types.go; desired = ceil(metric / target) with a 10 % tolerance
 * and a scale-down stabilization window, as the HPA computes an AverageValue external metric.
 */
import { describe, expect, it } from "vitest";
import {
  decideReplicas,
  initialScalerState,
  inFlightBound,
  type BacklogScaling,
  type ScalerState,
} from "./backlog-scaler.js";

const spec: BacklogScaling = {
  name: "order",
  minReplicas: 1,
  maxReplicas: 10,
  pollingIntervalMs: 1000,
  cooldownMs: 30_000,
  value: 20,
  activationValue: 0,
  scaleDownStabilizationMs: 10_000,
  countsUnacked: true,
};

const at = (
  replicas: number,
  lastActiveAt?: number,
  recs: [number, number][] = [],
): ScalerState => ({
  replicas,
  lastActiveAt,
  recommendations: recs.map(([t, r]) => ({ at: t, replicas: r })),
});

describe("decideReplicas", () => {
  const rows: {
    name: string;
    spec?: Partial<BacklogScaling>;
    state: ScalerState;
    queue: number;
    now?: number;
    replicas: number;
    reason?: RegExp;
  }[] = [
    { name: "empty queue at the minimum stays", state: at(1), queue: 0, replicas: 1 },
    {
      name: "ceil(queue / value)",
      state: at(1),
      queue: 41,
      replicas: 3,
      reason: /41 \/ value 20 → 3/,
    },
    {
      name: "clamped to maxReplicaCount",
      state: at(1),
      queue: 2640,
      replicas: 10,
      reason: /clamped to 1\.\.10/,
    },
    { name: "within the HPA's 10 % tolerance: unchanged", state: at(2), queue: 43, replicas: 2 },
    { name: "just past the tolerance: changes", state: at(2), queue: 45, replicas: 3 },
    {
      name: "down is held by the stabilization window",
      state: at(10, 0, [[9_500, 10]]),
      queue: 0,
      now: 10_000,
      replicas: 10,
    },
    {
      name: "down once the window's recommendations are lower",
      state: at(10, 0, [
        [0, 10],
        [5_000, 4],
      ]),
      queue: 0,
      now: 10_000,
      replicas: 4,
      reason: /held by the 10s stabilization window/,
    },
    {
      name: "down to the minimum after the window",
      state: at(10, 0, [[0, 10]]),
      queue: 0,
      now: 10_001,
      replicas: 1,
    },
    {
      name: "minReplicaCount 0: stays up during the cooldown",
      spec: { minReplicas: 0 },
      state: at(1, 0),
      queue: 0,
      now: 29_999,
      replicas: 1,
    },
    {
      name: "minReplicaCount 0: to zero after the cooldown",
      spec: { minReplicas: 0 },
      state: at(1, 0),
      queue: 0,
      now: 30_000,
      replicas: 0,
      reason: /for cooldownPeriod 30s/,
    },
    {
      name: "minReplicaCount 0, never active: to zero at once",
      spec: { minReplicas: 0 },
      state: at(1),
      queue: 0,
      replicas: 0,
    },
    {
      name: "at zero, a queue at activationValue does not activate",
      spec: { minReplicas: 0, activationValue: 5 },
      state: at(0),
      queue: 5,
      replicas: 0,
    },
    {
      name: "at zero, past activationValue: max(min, 1)",
      spec: { minReplicas: 0, activationValue: 5 },
      state: at(0),
      queue: 6,
      replicas: 1,
      reason: /activated/,
    },
    {
      name: "inactive but not at zero: the HPA still scales by queue length",
      spec: { minReplicas: 0, activationValue: 100 },
      state: at(1, 0),
      queue: 90,
      now: 1000,
      replicas: 5,
    },
    {
      name: "paused-replicas holds the count whatever the queue",
      spec: { pausedReplicas: 1 },
      state: at(1),
      queue: 5000,
      replicas: 1,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const decision = decideReplicas({ ...spec, ...row.spec }, row.state, row.queue, row.now ?? 0);
      expect(decision.state.replicas).toBe(row.replicas);
      if (row.replicas === row.state.replicas) expect(decision.reason).toBeUndefined();
      else expect(decision.reason).toMatch(row.reason ?? /./);
    });
  }

  it("a burst and its drain, tick by tick: up at once, back down after the window", () => {
    let state = initialScalerState(spec);
    const seen: number[] = [];
    const queue = [0, 2640, 1800, 900, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    queue.forEach((q, i) => {
      state = decideReplicas(spec, state, q, i * 1000).state;
      seen.push(state.replicas);
    });
    // Up to 10 at once; held for the 10 s window after the last recommendation of 10 (t = 3 s),
    // then the 5 recommended at t = 4 s for one more second, then the minimum.
    expect(seen).toEqual([1, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 5, 1, 1, 1]);
  });
});

describe("inFlightBound", () => {
  it("is replicas × parallelism", () => {
    expect(inFlightBound(10, 8)).toBe(80);
    expect(inFlightBound(0, 8)).toBe(0);
  });
});
