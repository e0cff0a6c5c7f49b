import { describe, expect, it } from "vitest";
import { coefficientOfVariation, median, noiseTest, regroup, spread, stddev } from "./stats.js";

describe("median and spread", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("reports min, max and the range relative to the median", () => {
    expect(spread([90, 100, 110])).toEqual({
      median: 100,
      min: 90,
      max: 110,
      relativeRange: 0.2,
      n: 3,
    });
  });

  it("uses the sample standard deviation", () => {
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(stddev([5])).toBe(0);
  });
});

describe("noise test", () => {
  it("finds no difference when the trials overlap, however far the medians", () => {
    const v = noiseTest([1000, 1200, 1400], [1100, 1300, 1500]);
    expect(v.change).toBeCloseTo(0.0833, 3);
    expect(v.differs).toBe(false);
  });

  it("finds no difference when separated trials differ by less than the larger spread", () => {
    // b is above every a trial, but by less than a's own range.
    const v = noiseTest([900, 1000, 1100], [1110, 1120, 1130]);
    expect(v.noise).toBeCloseTo(0.2, 5);
    expect(v.differs).toBe(false);
  });

  it("finds a difference when every trial of b is beyond a and the gap exceeds the noise", () => {
    const v = noiseTest([990, 1000, 1010], [1190, 1200, 1210]);
    expect(v.change).toBeCloseTo(0.2, 5);
    expect(v.noise).toBeCloseTo(0.02, 5);
    expect(v.differs).toBe(true);
    expect(noiseTest([1190, 1200, 1210], [990, 1000, 1010]).differs).toBe(true);
  });

  it("claims nothing from single trials, which have no measurable noise", () => {
    expect(noiseTest([1000], [2000]).differs).toBe(false);
  });
});

describe("coefficient of variation", () => {
  it("is 0 for a steady rate and grows with the swing", () => {
    expect(coefficientOfVariation([250, 250, 250])).toBe(0);
    expect(coefficientOfVariation([200, 300, 200, 300])).toBeCloseTo(0.2309, 4);
    expect(coefficientOfVariation([0, 0])).toBeNaN();
  });

  it("is not measured from fewer than two windows", () => {
    // A backlog that lasted one 1 s window used to read as a perfectly steady 0.0 %.
    expect(coefficientOfVariation([403])).toBeNaN();
    expect(coefficientOfVariation([])).toBeNaN();
  });

  it("regroups 250 ms rates into 1 s rates, dropping an incomplete tail", () => {
    expect(regroup([1, 3, 5, 7, 9], 2)).toEqual([2, 6]);
  });
});
