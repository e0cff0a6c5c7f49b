/**
 * What Knative's PodAutoscaler reconciler makes of each decision, driven by the clock:
 * knative/serving@98e5ef90aa7033797aa0a61ef97f3ff7e49a3944
 * pkg/reconciler/autoscaling/kpa/scaler.go (handleScaleToZero: the way to zero, grace and
 * retention) and pkg/reconciler/autoscaling/kpa/kpa.go (the SKS mode: whether the activator is in
 * the request path; computeActiveCondition).
 */
import { describe, expect, it } from "vitest";
import { Kpa, type Decision } from "./kpa.js";
import type { ScalingSpec } from "./scaling-config.js";

const S = 1000;

const spec = (over: Partial<ScalingSpec> = {}): ScalingSpec => ({
  service: "order",
  minScale: 0,
  maxScale: 0,
  initialScale: 1,
  activationScale: 1,
  targetPerReplica: 7,
  totalPerReplica: 10,
  targetBurstCapacity: 211,
  containerConcurrency: 10,
  stableWindowMs: 60 * S,
  panicWindowMs: 6 * S,
  panicThresholdPct: 200,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
  scaleDownDelayMs: 0,
  enableScaleToZero: true,
  scaleToZeroGraceMs: 30 * S,
  retentionMs: 0,
  ...over,
});

/**
 * Ticks every 2 s from `from` to `to` (inclusive) with `concurrency` in flight and the ready
 * replicas following the decisions at once; returns the decisions by time.
 */
function drive(kpa: Kpa, from: number, to: number, concurrency: number, ready: { n: number }) {
  const out = new Map<number, Decision>();
  for (let now = from; now <= to; now += 2 * S) {
    kpa.record(now, concurrency);
    const d = kpa.decide(now, ready.n);
    ready.n = d.desired;
    out.set(now, d);
  }
  return out;
}

const firstZero = (decisions: Map<number, Decision>) =>
  [...decisions].find(([, d]) => d.desired === 0)?.[0];

describe("the way to zero (scaler.go, handleScaleToZero)", () => {
  it("behind the activator all along (burst capacity 211): zero one tick after a stable window idle", () => {
    const kpa = new Kpa(spec(), 0, 1);
    const ready = { n: 1 };
    drive(kpa, 2 * S, 10 * S, 5, ready);
    const idle = drive(kpa, 12 * S, 200 * S, 0, ready);
    // Traffic last seen at 10 s; the stable window is empty of it after 70 s: marked inactive,
    // and the grace period is already served (the activator has been in the path since the start).
    const inactive = [...idle].find(([, d]) => d.activity === "inactive")![0];
    expect(inactive).toBe(72 * S);
    expect(idle.get(inactive)!.desired).toBe(1);
    expect(firstZero(idle)).toBe(74 * S);
    expect(idle.get(74 * S)!.reason).toMatch(/to zero: inactive, and behind the activator/);
  });

  it("activator out of the path (burst capacity 0): the grace period counts from inactive", () => {
    const kpa = new Kpa(spec({ targetBurstCapacity: 0 }), 0, 1);
    const ready = { n: 1 };
    const busy = drive(kpa, 2 * S, 10 * S, 5, ready);
    expect(busy.get(10 * S)!.activatorInPath).toBe(false);
    const idle = drive(kpa, 12 * S, 200 * S, 0, ready);
    expect(idle.get(72 * S)).toMatchObject({ activity: "inactive", activatorInPath: true });
    expect(firstZero(idle)).toBe(72 * S + 30 * S);
  });

  it("pod retention counts from inactive, not from the last request", () => {
    const kpa = new Kpa(spec({ retentionMs: 50 * S }), 0, 1);
    const ready = { n: 1 };
    drive(kpa, 2 * S, 10 * S, 5, ready);
    const idle = drive(kpa, 12 * S, 300 * S, 0, ready);
    expect(firstZero(idle)).toBe(72 * S + 50 * S);
  });

  it("a Service active for less than a stable window keeps one replica, then is marked inactive", () => {
    // Started with no traffic: the wanted count is 0 from the first tick.
    const kpa = new Kpa(spec(), 0, 1);
    const ready = { n: 1 };
    const d = drive(kpa, 2 * S, 100 * S, 0, ready);
    expect(d.get(2 * S)!.activity).toBe("active");
    expect(d.get(60 * S)).toMatchObject({ desired: 1, activity: "active" });
    expect(d.get(62 * S)).toMatchObject({ desired: 1, activity: "inactive" });
    expect(firstZero(d)).toBe(64 * S);
  });

  it("never to zero with scale-to-zero disabled or min-scale 1", () => {
    for (const over of [{ enableScaleToZero: false }, { minScale: 1 }]) {
      const ready = { n: 1 };
      expect(firstZero(drive(new Kpa(spec(over), 0, 1), 2 * S, 300 * S, 0, ready))).toBeUndefined();
    }
  });

  it("wakes from zero when the activator reports a waiting request", () => {
    const kpa = new Kpa(spec({ initialScale: 0, activationScale: 3 }), 0, 0);
    expect(kpa.decide(2 * S, 0)).toMatchObject({ desired: 0, activity: "inactive" });
    kpa.noteActivation(3 * S, 1);
    const wake = kpa.decide(3 * S, 0);
    expect(wake).toMatchObject({ desired: 3, activity: "activating", activatorInPath: true });
    expect(wake.reason).toMatch(/^activation/);
  });
});

describe("the activator in the request path (kpa.go: want > 0 and excess burst capacity ≥ 0)", () => {
  const inPath = (over: Partial<ScalingSpec>, ready: number, concurrency: number) => {
    const kpa = new Kpa(spec({ minScale: 1, ...over }), 0, ready);
    kpa.record(2 * S, concurrency);
    return kpa.decide(2 * S, ready);
  };

  it.each([
    // [burst capacity, total per replica, ready, in flight, in the path?, EBC]
    [211, 100, 1, 10, true, -121], // the default keeps a 1-replica Service behind it
    [211, 100, 3, 10, false, 79], // 300 − 211 − 10
    [211, 100, 3, 90, true, -1],
    [0, 100, 1, 10, false, 0], // 0: out whenever a replica is wanted
    [-1, 100, 4, 0, true, -1], // -1: always in
  ])("burst capacity %d, total %d, %d ready, %d in flight", (tbc, total, ready, c, want, ebc) => {
    const d = inPath(
      {
        targetBurstCapacity: tbc,
        totalPerReplica: total,
        targetPerReplica: total * 0.7,
        maxScale: ready,
      },
      ready,
      c,
    );
    expect(d.activatorInPath).toBe(want);
    expect(d.excessBurstCapacity).toBe(ebc);
  });
});
