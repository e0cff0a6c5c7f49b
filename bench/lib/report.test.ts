import { describe, expect, it } from "vitest";
import { percentOrDash } from "./report.js";
import { coefficientOfVariation } from "./stats.js";

describe("the report's figures", () => {
  it("prints a coefficient of variation that could not be measured as a dash", () => {
    expect(percentOrDash(coefficientOfVariation([403]))).toBe("-");
    expect(percentOrDash(0.2309)).toBe("23.1%");
  });
});
