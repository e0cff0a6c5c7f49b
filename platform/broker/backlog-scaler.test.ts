/**
 * The scaling decision as KEDA's rabbitmq scaler and the HPA behind it make it: activation and
 * cooldown from kedacore/keda pkg/scaling/executor/scale_scaledobjects.go (RequestScale,
 * scaleToZeroOrIdle, scaleFromZeroOrIdle), `isActive = messages > activationValue` and the
 * QueueLength metric from pkg/scalers/rabbitmq_scaler.go (GetMetricsAndActivity), defaults from
 * apis/keda/v1alpha1/scaledobject_types.go; desired = ceil(metric / target) with a 10 % tolerance,
 * as the HPA computes an AverageValue external metric, once per sync period, then its behavior:
 * stabilization windows and rate policies (kubernetes pkg/controller/podautoscaler/horizontal.go,
 * defaults from pkg/apis/autoscaling/v2/defaults.go; hpa-behavior.test.ts has the policies alone).
 */
import { describe, expect, it } from "vitest";
import {
  decideReplicas,
  initialScalerState,
  inFlightBound,
  type BacklogScaling,
  type ScalerState,
} from "./backlog-scaler.js";
import { HPA_DEFAULT_BEHAVIOR } from "./hpa-behavior.js";

const spec: BacklogScaling = {
  name: "order",
  minReplicas: 1,
  maxReplicas: 10,
  pollingIntervalMs: 1000,
  cooldownMs: 30_000,
  value: 20,
  activationValue: 0,
  // As the shipped ScaledObjects set it: only the scale-down window, the rest the HPA's defaults.
  behavior: {
    ...HPA_DEFAULT_BEHAVIOR,
    scaleDown: { ...HPA_DEFAULT_BEHAVIOR.scaleDown, stabilizationMs: 10_000 },
  },
  hpaSyncMs: 15_000,
  countsUnacked: true,
};

const at = (
  replicas: number,
  lastActiveAt?: number,
  recs: [number, number][] = [],
  more: Partial<ScalerState> = {},
): ScalerState => ({
  replicas,
  lastActiveAt,
  recommendations: recs.map(([t, r]) => ({ at: t, replicas: r })),
  events: [],
  lastSyncAt: undefined,
  ...more,
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
      state: at(8),
      queue: 2640,
      replicas: 10,
      reason: /clamped to 1\.\.10/,
    },
    {
      name: "up by at most max(4 pods, 100 %) per 15 s: from 1, 5",
      state: at(1),
      queue: 2640,
      replicas: 5,
      reason:
        /→ 132, limited to 5 by the scale-up policies \(Max of 4 pods per 15s, 100 % per 15s\)/,
    },
    {
      name: "from 6, 100 % allows more than 4 pods: 12",
      spec: { maxReplicas: 20 },
      state: at(6),
      queue: 2640,
      replicas: 12,
    },
    {
      name: "a scale-up within the policies' period counts against them: no further yet",
      state: at(5, 0, [], { events: [{ at: 0, change: 4 }], lastSyncAt: 0 }),
      queue: 2640,
      now: 14_999,
      replicas: 5,
    },
    {
      name: "once it has left the period, up again",
      state: at(5, 0, [], { events: [{ at: 0, change: 4 }], lastSyncAt: 0 }),
      queue: 2640,
      now: 15_000,
      replicas: 10,
    },
    {
      name: "between syncs nothing changes, whatever the queue",
      state: at(1, 0, [], { lastSyncAt: 0 }),
      queue: 2640,
      now: 14_000,
      replicas: 1,
    },
    {
      name: "a look half a polling interval early still syncs (timer jitter)",
      state: at(1, 0, [], { lastSyncAt: 0 }),
      queue: 2640,
      now: 14_500,
      replicas: 5,
    },
    {
      name: "down no faster than a scale-down policy allows",
      spec: {
        behavior: {
          ...spec.behavior,
          scaleDown: {
            stabilizationMs: 0,
            selectPolicy: "Max",
            policies: [{ type: "Pods", value: 1, periodMs: 60_000 }],
          },
        },
      },
      state: at(5),
      queue: 0,
      replicas: 4,
      reason: /limited to 4 by the scale-down policies \(1 pods per 60s\)/,
    },
    {
      name: "selectPolicy Disabled: never up",
      spec: {
        behavior: {
          ...spec.behavior,
          scaleUp: { ...spec.behavior.scaleUp, selectPolicy: "Disabled" },
        },
      },
      state: at(1),
      queue: 2640,
      replicas: 1,
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
      reason: /→ 0; 4 from the 10s scale-down stabilization window/,
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

  it("a burst and its drain, a look each second: up at the HPA's pace, down after the window", () => {
    let state = initialScalerState(spec);
    const changes: [number, number][] = [];
    for (let t = 0; t <= 60; t++) {
      const queue = t >= 1 && t <= 40 ? 2640 : 0;
      const before = state.replicas;
      state = decideReplicas(spec, state, queue, t * 1000).state;
      if (state.replicas !== before) changes.push([t, state.replicas]);
    }
    // Syncs at 0, 15, 30, 45 and 60 s: 1 → 5 (4 pods) → 10 (100 %, then maxReplicaCount); the
    // queue is empty at the 45 s sync and the 10 s window holds no higher recommendation: 1.
    expect(changes).toEqual([
      [15, 5],
      [30, 10],
      [45, 1],
    ]);
  });
});

describe("inFlightBound", () => {
  it("is replicas × parallelism", () => {
    expect(inFlightBound(10, 8)).toBe(80);
    expect(inFlightBound(0, 8)).toBe(0);
  });
});
