import { afterEach, describe, expect, it, vi } from "vitest";
import { readFlags, wholeNumber } from "./flags.js";

describe("readFlags", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reads the flags it is given", () => {
    const flags = readFlags("bench", { reps: { type: "string" }, quick: { type: "boolean" } }, [
      "--reps",
      "3",
      "--quick",
    ]);
    expect(flags).toEqual({ reps: "3", quick: true });
  });

  it.each([
    [["--no-baseline"], /^npm run bench: Unknown option '--no-baseline'/],
    [["--reps"], /^npm run bench: Option '--reps <value>' argument missing/],
  ])("answers %j with one line and exit 2, not a stack trace", (args, line) => {
    const printed: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void printed.push(a));
    vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    expect(() => readFlags("npm run bench", { reps: { type: "string" } }, args)).toThrow("exit 2");
    expect(printed).toHaveLength(1);
    expect(printed[0]).toEqual([expect.stringMatching(line)]);
  });
});

describe("wholeNumber", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reads a whole number at or above the minimum", () => {
    expect(wholeNumber("bench", "reps", "3")).toBe(3);
    expect(wholeNumber("bench", "warmup", "0", 0)).toBe(0);
  });

  it.each([
    [
      "reps",
      "abc",
      1,
      'npm run bench:dispatch: --reps must be a whole number of at least 1, not "abc"',
    ],
    ["reps", "", 1, 'npm run bench:dispatch: --reps must be a whole number of at least 1, not ""'],
    [
      "events",
      "2.5",
      1,
      'npm run bench:dispatch: --events must be a whole number of at least 1, not "2.5"',
    ],
    [
      "rounds",
      "0",
      1,
      'npm run bench:dispatch: --rounds must be a whole number of at least 1, not "0"',
    ],
    ["warmup", "-1", 0, 'npm run bench:dispatch: --warmup must be a whole number, not "-1"'],
  ])("refuses --%s %j with one line and exit 2", (name, value, min, line) => {
    const printed: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void printed.push(a));
    vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    expect(() => wholeNumber("npm run bench:dispatch", name, value, min)).toThrow("exit 2");
    expect(printed).toEqual([[line]]);
  });
});
