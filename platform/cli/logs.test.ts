import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interleave, labelled, parseSince, replicaLogs } from "./logs.js";

describe("leveler logs", () => {
  it("finds only the function's replicas, in replica order, and labels each line", () => {
    const dir = mkdtempSync(join(tmpdir(), "leveler-logs-"));
    for (const f of ["order-10.log", "order-2.log", "order-created-0.log", "dispatcher-order.log"])
      writeFileSync(join(dir, f), "x\n");
    expect(replicaLogs(dir, "order").map((r) => r.replica)).toEqual(["order-2", "order-10"]);
    expect(labelled("order-2", "[order] a\n[order] b\n")).toEqual([
      "order-2 | [order] a",
      "order-2 | [order] b",
    ]);
  });
});

describe("leveler logs: time order and --since", () => {
  it("interleaves replicas by their lines' times, keeping each replica's order", () => {
    const lines = interleave([
      {
        replica: "fn-0",
        text: "2026-01-01T00:00:01.000Z a\n  continued\n2026-01-01T00:00:03.000Z c\n",
      },
      { replica: "fn-1", text: "2026-01-01T00:00:02.000Z b\n" },
    ]);
    expect(lines).toEqual([
      "fn-0 | 2026-01-01T00:00:01.000Z a",
      "fn-0 |   continued",
      "fn-1 | 2026-01-01T00:00:02.000Z b",
      "fn-0 | 2026-01-01T00:00:03.000Z c",
    ]);
  });

  it("--since keeps only the lines at or after the cut, and reads durations", () => {
    const lines = interleave(
      [
        {
          replica: "fn-0",
          text: "old line\n2026-01-01T00:00:01.000Z a\n2026-01-01T00:05:00.000Z b\n",
        },
      ],
      Date.parse("2026-01-01T00:01:00.000Z"),
    );
    expect(lines).toEqual(["fn-0 | 2026-01-01T00:05:00.000Z b"]);
    expect(parseSince("5m")).toBe(300_000);
    expect(parseSince("30s")).toBe(30_000);
    expect(parseSince("2h")).toBe(7_200_000);
    expect(parseSince("5")).toBeUndefined();
    expect(parseSince("-5m")).toBeUndefined();
  });
});
