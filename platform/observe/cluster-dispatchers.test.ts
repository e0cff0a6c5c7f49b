import { describe, expect, it } from "vitest";
import { scalingState } from "./cluster-dispatchers.js";

describe("a ScaledObject's state in one word", () => {
  const cases: [Record<string, string>, string][] = [
    [{}, "pending"],
    [{ Ready: "False", Active: "True" }, "not-ready"],
    [{ Ready: "True", Active: "True", Paused: "True" }, "paused"],
    [{ Ready: "True", Active: "True", Fallback: "True" }, "fallback"],
    [{ Ready: "True", Active: "True", Fallback: "False", Paused: "False" }, "active"],
    [{ Ready: "True", Active: "False" }, "idle"],
  ];
  it.each(cases)("%o is %s", (conditions, state) => {
    const status = {
      conditions: Object.entries(conditions).map(([type, s]) => ({ type, status: s })),
    };
    expect(scalingState({ status })).toBe(state);
  });
});
