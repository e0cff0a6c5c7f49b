import { describe, expect, it } from "vitest";
import { ScaleEventLog } from "./scale-event-log.js";

describe("ScaleEventLog", () => {
  const event = (to: number) => ({ function: "order", from: to - 1, to, reason: "test" });

  it("keeps the newest, oldest first, and logs each as one line", () => {
    const lines: string[] = [];
    const log = new ScaleEventLog((line) => lines.push(line), 2);
    for (const to of [1, 2, 3]) log.add(event(to));
    expect(log.recent().map((e) => e.to)).toEqual([2, 3]);
    expect(lines).toEqual([
      "scale order: 0 → 1 (test)",
      "scale order: 1 → 2 (test)",
      "scale order: 2 → 3 (test)",
    ]);
  });

  it("records without a log", () => {
    const log = new ScaleEventLog(undefined);
    log.add(event(1));
    expect(log.recent()).toHaveLength(1);
  });
});
