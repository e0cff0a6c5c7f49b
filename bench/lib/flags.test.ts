import { afterEach, describe, expect, it, vi } from "vitest";
import { readFlags } from "./flags.js";

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
