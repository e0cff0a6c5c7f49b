/**
 * Conformance vectors: the cases of knative/serving's own autoscaler tests, run against leveler's
 * Decider. Source: knative/serving@98e5ef90aa7033797aa0a61ef97f3ff7e49a3944,
 * pkg/autoscaler/scaling/autoscaler_test.go (test names given per case). Their fixture: target
 * utilisation 0.75 (total = target / 0.75), panic threshold 2, scale-up and scale-down rates 10,
 * stable window 60 s, reachable, one ready replica when the decider is created. Upstream compares
 * the excess burst capacity within ±1 (floating point across platforms); so do these.
 */
import { describe, expect, it } from "vitest";
import { Decider, type DeciderSpec } from "./decider.js";

const S = 1000;
const MIN = 60 * S;

function fixture(target: number, tbc: number, over: Partial<DeciderSpec> = {}): DeciderSpec {
  return {
    targetValue: target,
    totalValue: target / 0.75,
    targetBurstCapacity: tbc,
    panicThreshold: 2,
    maxScaleUpRate: 10,
    maxScaleDownRate: 10,
    activationScale: 0,
    scaleDownDelayMs: 0,
    stableWindowMs: MIN,
    reachable: true,
    ...over,
  };
}

/** Upstream's expectedEBC(target, tbc, concurrency, pods). */
const ebc = (target: number, tbc: number, concurrency: number, pods: number) =>
  Math.floor((target / 0.75) * pods - tbc - concurrency);

interface Step {
  at: number;
  ready: number;
  stable: number;
  panic: number;
  desired: number;
  ebc: number;
  inPanic?: boolean;
}

function expectSteps(decider: Decider, steps: readonly Step[]): void {
  for (const step of steps) {
    const got = decider.scale(step.at, step.ready, step.stable, step.panic);
    expect(got.desired, `desired at ${step.at} ms`).toBe(step.desired);
    expect(
      Math.abs(got.excessBurstCapacity - step.ebc),
      `EBC at ${step.at} ms`,
    ).toBeLessThanOrEqual(1);
    if (step.inPanic !== undefined) expect(got.panic, `panic at ${step.at} ms`).toBe(step.inPanic);
  }
}

describe("TestAutoscalerScale (one decision each)", () => {
  // [label, target, tbc, ready, stable, panic, desired, ebc, spec overrides, decider created over]
  const cases: [
    string,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    Partial<DeciderSpec>?,
    number?,
  ][] = [
    ["AutoscalerNoDataAtZeroNoAutoscale", 10, 100, 1, 0, 0, 0, ebc(10, 100, 0, 1)],
    ["AutoscalerStableModeUnlimitedTBC", 181, -1, 1, 21, 26, 1, -1],
    ["Autoscaler0TBC", 10, 0, 1, 50, 49, 5, 0],
    ["AutoscalerStableModeNoChange", 10, 100, 1, 50, 50, 5, ebc(10, 100, 50, 1)],
    // In panic (entered 5 s before with 5 replicas): the larger of stable and panic.
    ["AutoscalerPanicStableLargerThanPanic", 1, 100, 5, 50, 30, 50, ebc(1, 100, 30, 5), {}, 5],
    ["AutoscalerPanicStableLessThanPanic", 1, 100, 5, 20, 30, 30, ebc(1, 100, 30, 5), {}, 5],
    ["AutoscalerStableModeNoChangeAlreadyScaled", 10, 100, 5, 50, 50, 5, ebc(10, 100, 50, 5)],
    [
      "AutoscalerStableModeIncreaseWithSmallScaleUpRate",
      1,
      1982,
      2,
      3,
      3.1,
      3,
      ebc(1, 1982, 3.1, 2),
      { maxScaleUpRate: 1.1 },
    ],
    [
      "AutoscalerStableModeDecreaseWithSmallScaleDownRate",
      10,
      1982,
      100,
      1,
      1,
      90,
      ebc(10, 1982, 1, 100),
      { maxScaleDownRate: 1.1 },
    ],
    [
      "AutoscalerStableModeDecreaseNonReachable",
      10,
      1982,
      100,
      1,
      1,
      1,
      ebc(10, 1982, 1, 100),
      { maxScaleDownRate: 1.1, reachable: false },
    ],
    ["AutoscalerPanicModeDoublePodCount", 10, 84, 1, 50, 100, 10, ebc(10, 84, 100, 1)],
    // TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound: no ready replica counts as one.
    ["UseOnePodAsMinimumIfEndpointsNotFound", 10, 81, 0, 1000, 888, 10, ebc(10, 81, 888, 0)],
  ];
  it.each(cases)(
    "%s",
    (_label, target, tbc, ready, stable, panic, desired, wantEbc, over = {}, createdOver = 1) => {
      const now = 100 * MIN;
      const decider = new Decider(fixture(target, tbc, over), createdOver, now - 5 * S);
      expectSteps(decider, [{ at: now, ready, stable, panic, desired, ebc: wantEbc }]);
    },
  );
});

describe("autoscaler_test.go sequences", () => {
  const t0 = 100 * MIN;

  it("TestAutoscalerStableModeIncreaseWithConcurrencyDefault", () => {
    expectSteps(new Decider(fixture(10, 101), 1, t0), [
      { at: t0, ready: 1, stable: 50, panic: 10, desired: 5, ebc: ebc(10, 101, 10, 1) },
      { at: t0, ready: 1, stable: 100, panic: 10, desired: 10, ebc: ebc(10, 101, 10, 1) },
    ]);
  });

  it("TestAutoscalerUnpanicAfterSlowIncrease", () => {
    expectSteps(new Decider(fixture(1, 98), 1, t0), [
      {
        at: t0,
        ready: 10,
        stable: 11,
        panic: 25,
        desired: 25,
        ebc: ebc(1, 98, 25, 10),
        inPanic: true,
      },
      // Half a stable window later, +15 replicas; the panic has not moved.
      {
        at: t0 + 30 * S,
        ready: 40,
        stable: 30,
        panic: 41,
        desired: 41,
        ebc: ebc(1, 98, 41, 40),
        inPanic: true,
      },
      // A stable window and a tick after the panic began: it ends, the stable count rules.
      {
        at: t0 + 62 * S,
        ready: 55,
        stable: 50,
        panic: 56,
        desired: 50,
        ebc: ebc(1, 98, 56, 55),
        inPanic: false,
      },
    ]);
  });

  it("TestAutoscalerExtendPanicWindow (and, ours: the extended panic still holds at t0 + 62 s)", () => {
    expectSteps(new Decider(fixture(1, 98), 1, t0), [
      {
        at: t0,
        ready: 10,
        stable: 11,
        panic: 25,
        desired: 25,
        ebc: ebc(1, 98, 25, 10),
        inPanic: true,
      },
      {
        at: t0 + 30 * S,
        ready: 40,
        stable: 30,
        panic: 80,
        desired: 80,
        ebc: ebc(1, 98, 80, 40),
        inPanic: true,
      },
      {
        at: t0 + 62 * S,
        ready: 55,
        stable: 50,
        panic: 56,
        desired: 80,
        ebc: ebc(1, 98, 56, 55),
        inPanic: true,
      },
    ]);
  });

  it("TestAutoscalerStableModeDecrease", () => {
    expectSteps(new Decider(fixture(10, 98), 1, t0), [
      { at: t0, ready: 8, stable: 100, panic: 100, desired: 10, ebc: ebc(10, 98, 100, 8) },
      { at: t0, ready: 8, stable: 50, panic: 50, desired: 5, ebc: ebc(10, 98, 50, 8) },
    ]);
  });

  it("TestAutoscalerStableModeNoTrafficScaleToZero", () => {
    expectSteps(new Decider(fixture(10, 75), 1, t0), [
      { at: t0, ready: 1, stable: 1, panic: 0, desired: 1, ebc: ebc(10, 75, 0, 1) },
      { at: t0, ready: 1, stable: 0, panic: 0, desired: 0, ebc: ebc(10, 75, 0, 1) },
    ]);
  });

  it("TestAutoscalerActivationScale", () => {
    expectSteps(new Decider(fixture(10, 75, { activationScale: 2 }), 1, t0), [
      { at: t0, ready: 1, stable: 0, panic: 0, desired: 0, ebc: ebc(10, 75, 0, 1) },
      { at: t0, ready: 1, stable: 1, panic: 0, desired: 2, ebc: ebc(10, 75, 0, 1) },
    ]);
  });

  it("TestAutoscalerPanicModeExponentialTrackAndStabilize", () => {
    expectSteps(new Decider(fixture(1, 101), 1, t0), [
      { at: t0, ready: 1, stable: 6, panic: 6, desired: 6, ebc: ebc(1, 101, 6, 1) },
      {
        at: t0,
        ready: 6,
        stable: 36,
        panic: 36,
        desired: 36,
        ebc: ebc(1, 101, 36, 6),
        inPanic: true,
      },
      { at: t0 + S, ready: 36, stable: 216, panic: 216, desired: 216, ebc: ebc(1, 101, 216, 36) },
      {
        at: t0 + S,
        ready: 216,
        stable: 1296,
        panic: 1296,
        desired: 1296,
        ebc: ebc(1, 101, 1296, 216),
      },
      {
        at: t0 + 2 * S,
        ready: 1296,
        stable: 1296,
        panic: 1296,
        desired: 1296,
        ebc: ebc(1, 101, 1296, 1296),
      },
    ]);
  });

  it("TestAutoscalerPanicThenUnPanicScaleDown", () => {
    expectSteps(new Decider(fixture(10, 93), 1, t0), [
      { at: t0, ready: 1, stable: 100, panic: 100, desired: 10, ebc: ebc(10, 93, 100, 1) },
      { at: t0 + S, ready: 10, stable: 100, panic: 1000, desired: 100, ebc: ebc(10, 93, 1000, 10) },
      // Traffic dropped off: the panic keeps the count.
      { at: t0 + 31 * S, ready: 10, stable: 1, panic: 1, desired: 100, ebc: ebc(10, 93, 1, 10) },
      // A stable window after the last panic signal: down to what the stable window wants.
      {
        at: t0 + 62 * S,
        ready: 10,
        stable: 1,
        panic: 1,
        desired: 1,
        ebc: ebc(10, 93, 1, 10),
        inPanic: false,
      },
    ]);
  });

  it("TestAutoscalerRateLimitScaleUp", () => {
    expectSteps(new Decider(fixture(10, 61), 1, t0), [
      { at: t0, ready: 1, stable: 1000, panic: 1001, desired: 10, ebc: ebc(10, 61, 1001, 1) },
      { at: t0, ready: 10, stable: 1000, panic: 1001, desired: 100, ebc: ebc(10, 61, 1001, 10) },
    ]);
  });

  it("TestAutoscalerRateLimitScaleDown", () => {
    expectSteps(new Decider(fixture(10, 61), 1, t0), [
      { at: t0, ready: 100, stable: 1, panic: 1, desired: 10, ebc: ebc(10, 61, 1, 100) },
      { at: t0, ready: 10, stable: 1, panic: 1, desired: 1, ebc: ebc(10, 61, 1, 10) },
    ]);
  });

  it("TestStartInPanicMode: created over two or more ready replicas, it starts in panic", () => {
    const spec = { ...fixture(100, 11), totalValue: 120, panicThreshold: 220 };
    for (const readyAtStart of [0, 1]) {
      const d = new Decider(spec, readyAtStart, t0);
      expect(d.scale(t0 + S, 2, 10, 10)).toMatchObject({ desired: 1, panic: false });
    }
    // Upstream checks the state; here its effect: the start count is held while panicking.
    expect(new Decider(spec, 2, t0).scale(t0 + S, 2, 10, 10)).toMatchObject({
      desired: 2,
      panic: true,
    });
  });
});

describe("TestAutoscalerScaleDownDelay", () => {
  const spec = fixture(10, 0, {
    maxScaleDownRate: 10,
    maxScaleUpRate: 10,
    panicThreshold: 100,
    scaleDownDelayMs: 5 * MIN,
  });

  it("simple, then gradual (one decider, as upstream)", () => {
    const d = new Decider(spec, 0, 0);
    const at = (t: number, c: number) => d.scale(t, 0, c, c).desired;
    expect(at(2 * S, 40)).toBe(4);
    expect(at(5 * MIN, 0)).toBe(4); // less than the delay at reduced concurrency
    expect(at(5 * MIN + 2 * S, 0)).toBe(0);
    expect(at(9 * MIN, 40)).toBe(4);
    expect(at(10 * MIN, 30)).toBe(4); // 4 still dominates
    expect(at(11 * MIN, 0)).toBe(4);
    expect(at(14 * MIN, 0)).toBe(3); // 4 scrolls out
    expect(at(15 * MIN, 0)).toBe(0); // everything scrolled out
  });

  it("TestAutoscalerScaleDownDelayZero: no delay, no hold", () => {
    const d = new Decider({ ...spec, scaleDownDelayMs: 0 }, 0, 0);
    expect(d.scale(0, 0, 40, 40).desired).toBe(4);
    expect(d.scale(500, 0, 20, 20).desired).toBe(2);
  });
});

// Not upstream vectors: the differences FIDELITY row 13 found, each against autoscaler.go.
describe("panic details (autoscaler.go, Scale)", () => {
  it("panics with no ready replica, counting it as one", () => {
    expect(new Decider(fixture(10, 0), 0, 0).scale(S, 0, 1, 30).panic).toBe(true);
  });

  it("compares the unclamped panic count with the threshold", () => {
    // Scale-up rate 2 clamps 5 wanted to 2; 2/1 is under a 300% threshold, 5/1 is over it.
    const d = new Decider(fixture(10, 0, { maxScaleUpRate: 2, panicThreshold: 3 }), 1, 0);
    expect(d.scale(S, 1, 50, 50)).toMatchObject({ desired: 2, panic: true });
  });
});
