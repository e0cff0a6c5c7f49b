/**
 * The HPA's rate policies as kubernetes pkg/controller/podautoscaler/horizontal.go computes them
 * (calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors): the count at the
 * start of each policy's period is the current one less what was added in it, plus what was
 * removed; Pods adds or removes `value`, Percent scales by it (rounded up going up, down going
 * down); selectPolicy picks the largest change (Max) or the smallest (Min).
 */
import { describe, expect, it } from "vitest";
import {
  HPA_DEFAULT_BEHAVIOR,
  scaleDownLimit,
  scaleUpLimit,
  type ScalingRules,
} from "./hpa-behavior.js";

const up = HPA_DEFAULT_BEHAVIOR.scaleUp;

describe("scaleUpLimit", () => {
  it("by default the larger of 4 pods and 100 % per 15 s", () => {
    expect(scaleUpLimit(1, [], up, 0)).toBe(5);
    expect(scaleUpLimit(4, [], up, 0)).toBe(8);
    expect(scaleUpLimit(5, [], up, 0)).toBe(10);
  });

  it("counts the period from the count before this period's scale-ups", () => {
    const events = [{ at: 0, change: 4 }];
    expect(scaleUpLimit(5, events, up, 14_999)).toBe(5);
    expect(scaleUpLimit(5, events, up, 15_000)).toBe(10);
    // A scale-down within the period raises the start again.
    expect(scaleUpLimit(3, [{ at: 10_000, change: -2 }], up, 14_000)).toBe(10);
  });

  it("Min takes the smaller change; Disabled none; Percent rounds up", () => {
    const min: ScalingRules = { ...up, selectPolicy: "Min" };
    expect(scaleUpLimit(6, [], min, 0)).toBe(10);
    expect(scaleUpLimit(6, [], { ...up, selectPolicy: "Disabled" }, 0)).toBe(6);
    const tenPercent: ScalingRules = {
      ...up,
      policies: [{ type: "Percent", value: 10, periodMs: 60_000 }],
    };
    expect(scaleUpLimit(1, [], tenPercent, 0)).toBe(2);
  });
});

describe("scaleDownLimit", () => {
  it("by default 100 % per 15 s: as low as it likes", () => {
    expect(scaleDownLimit(10, [], HPA_DEFAULT_BEHAVIOR.scaleDown, 0)).toBe(0);
  });

  it("one pod a minute, counting what went already; Percent rounds down", () => {
    const onePod: ScalingRules = {
      stabilizationMs: 0,
      selectPolicy: "Max",
      policies: [{ type: "Pods", value: 1, periodMs: 60_000 }],
    };
    expect(scaleDownLimit(5, [], onePod, 0)).toBe(4);
    expect(scaleDownLimit(4, [{ at: 0, change: -1 }], onePod, 59_999)).toBe(4);
    expect(scaleDownLimit(4, [{ at: 0, change: -1 }], onePod, 60_000)).toBe(3);
    const half: ScalingRules = {
      ...onePod,
      policies: [{ type: "Percent", value: 50, periodMs: 60_000 }],
    };
    expect(scaleDownLimit(5, [], half, 0)).toBe(2);
    // Min takes the smaller change going down too: the higher count.
    const both: ScalingRules = {
      ...onePod,
      policies: [...onePod.policies, ...half.policies],
    };
    expect(scaleDownLimit(10, [], both, 0)).toBe(5);
    expect(scaleDownLimit(10, [], { ...both, selectPolicy: "Min" }, 0)).toBe(9);
  });
});
