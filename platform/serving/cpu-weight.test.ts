import { describe, expect, it } from "vitest";
import { CpuQuantityError, niceFor, parseCpuMillis } from "./cpu-weight.js";

describe("CPU requests as weights", () => {
  it("reads Kubernetes CPU quantities in millicores", () => {
    expect(parseCpuMillis("100m")).toBe(100);
    expect(parseCpuMillis("1")).toBe(1000);
    expect(parseCpuMillis("0.5")).toBe(500);
    expect(parseCpuMillis("1.5")).toBe(1500);
    expect(() => parseCpuMillis("1 core")).toThrow(CpuQuantityError);
    expect(() => parseCpuMillis("0m")).toThrow(/more than zero/);
  });

  it("keeps the requests' proportions in CFS weights: 10× the request is about 10 nice levels", () => {
    expect(niceFor(1000, 1000)).toBe(0);
    expect(niceFor(100, 1000)).toBe(10); // 1.25^10 ≈ 9.3
    expect(niceFor(500, 1000)).toBe(3); // 1.25^3 ≈ 1.95
    expect(niceFor(1, 1000)).toBe(19);
    expect(niceFor(undefined, 1000)).toBe(0);
  });
});
