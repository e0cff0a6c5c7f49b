import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatSamplingSwitch,
  parseRatio,
  parseSamplingSwitch,
  SamplingSwitchError,
  writeSamplingSwitchFile,
} from "./sampling-switch.js";

describe("sampling switch file", () => {
  it("takes ratios from 0 to 1", () => {
    expect(["0", "1", "0.25", ".5", "1.0", "1e-2", " 0.01 "].map(parseRatio)).toEqual([
      0, 1, 0.25, 0.5, 1, 0.01, 0.01,
    ]);
    expect(parseRatio(0.3)).toBe(0.3);
  });

  it.each(["-1", "2", "abc", "", "0x1", "NaN", "Infinity", "1.5", "-0.1"])(
    "refuses %j with one clear message",
    (raw) => {
      expect(() => parseRatio(raw)).toThrow(SamplingSwitchError);
      expect(() => parseRatio(raw)).toThrow(/must be a number from 0 to 1/);
    },
  );

  it("reads the file it writes, comments and all", () => {
    expect(parseSamplingSwitch(formatSamplingSwitch({ samplerRatio: 0.1 }))).toEqual({
      samplerRatio: 0.1,
    });
    expect(parseSamplingSwitch("samplerRatio: '0.5'\n")).toEqual({ samplerRatio: 0.5 });
    expect(
      parseSamplingSwitch('# off\nother: 1\nsamplerRatio: "0.01"   # sampled monitoring\n'),
    ).toEqual({ samplerRatio: 0.01 });
  });

  it("refuses a file without a valid ratio", () => {
    expect(() => parseSamplingSwitch("")).toThrow(/samplerRatio is missing/);
    expect(() => parseSamplingSwitch("samplerRatio: 2")).toThrow(/not "2"/);
    expect(() => parseSamplingSwitch("samplerRatio: [")).toThrow(/not "\["/);
    expect(() => parseSamplingSwitch("  samplerRatio: 0.5")).toThrow(/missing/);
  });

  it("writes atomically: no temporary file is left beside it", () => {
    const dir = mkdtempSync(join(tmpdir(), "leveler-telemetry-"));
    const path = join(dir, "nested", "config.yaml");
    writeSamplingSwitchFile(path, { samplerRatio: 0.25 });
    writeSamplingSwitchFile(path, { samplerRatio: 1 });
    expect(parseSamplingSwitch(readFileSync(path, "utf8"))).toEqual({ samplerRatio: 1 });
    expect(readdirSync(join(dir, "nested"))).toEqual(["config.yaml"]);
  });
});
