import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { labelled, replicaLogs } from "./logs.js";

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
