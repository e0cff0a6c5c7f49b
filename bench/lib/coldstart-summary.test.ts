import { describe, expect, it } from "vitest";
import {
  coldStartTable,
  coldStartTargets,
  percentile,
  summariseColdStarts,
  type ColdStartResult,
} from "./coldstart-summary.js";

const consumer = (name: string, samplesMs: number[], idleRssMb: number | null = 60) => ({
  name,
  bundleKiB: 415,
  idleRssMb,
  idleAnonMb: idleRssMb === null ? null : 18,
  samplesMs,
  startCpuMs: samplesMs.map((ms) => ms / 2),
});

const result = (over: Partial<ColdStartResult> = {}): ColdStartResult => ({
  runs: 4,
  consumers: [consumer("order", [100, 110, 120, 500]), consumer("payment", [90, 95, 105, 130], 72)],
  ingress: { name: "ingress", bundleKiB: 586, idleRssMb: 69, idleAnonMb: 23 },
  ...over,
});

describe("percentile", () => {
  it("is the nearest rank, NaN of nothing", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([7], 0)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("the cold-start stage's figures", () => {
  it("pools every consumer's cold starts, and takes the largest bundle and idle consumer", () => {
    expect(summariseColdStarts(result())).toEqual({
      p50Ms: 105, // the 4th of 8
      p95Ms: 500,
      maxBundleKiB: 586, // the ingress's
      maxIdleConsumerMb: 72,
    });
  });

  it("judges issue 15's targets: p50 ≤ 200 ms, p95 ≤ 400 ms, an idle consumer ≤ 70 MB", () => {
    expect(coldStartTargets(result()).map((t) => [t.measured, t.met])).toEqual([
      ["105 ms", true],
      ["500 ms", false],
      ["72 MB", false],
    ]);
    const noIdle = result({ consumers: [consumer("order", [100], null)] });
    expect(coldStartTargets(noIdle)[2]).toMatchObject({ measured: "-", met: null });
    expect(coldStartTargets(null).map((t) => t.met)).toEqual([null, null, null]);
  });

  it("tables each consumer and says which targets were missed", () => {
    const table = coldStartTable(result());
    expect(table).toContain(
      "| order | 4 | 110 ms | 500 ms | 500 ms | 55 ms | 415 KiB | 60 MB | 18 MB |",
    );
    expect(table).toContain(
      "| ingress (min-scale 1) | - | - | - | - | - | 586 KiB | 69 MB | 23 MB |",
    );
    expect(table).toContain("p50 105 ms (target ≤ 200: met), p95 500 ms (target ≤ 400: MISSED)");
    expect(table).toContain("largest bundle 586 KiB (target ≤ 1 MB: met)");
    expect(table).toContain("idle consumer replica ≤ 72 MB (target ≤ 70 MB: MISSED)");
    const noIdle = coldStartTable(result({ consumers: [consumer("order", [100], null)] }));
    expect(noIdle).toContain("(target ≤ 70 MB: not read)");
  });
});
