import { describe, expect, it } from "vitest";
import { sumCounts, total } from "./counts.js";

describe("counts", () => {
  it("adds counts by key across records", () => {
    expect(sumCounts([{ a: 1 }, { a: 2, b: 1 }, {}])).toEqual({ a: 3, b: 1 });
    expect(sumCounts([])).toEqual({});
  });

  it("adds every count of a record or a list", () => {
    expect(total({ a: 3, b: 1 })).toBe(4);
    expect(total([1, 2])).toBe(3);
    expect(total({})).toBe(0);
  });
});
