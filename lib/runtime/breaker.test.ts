import { describe, expect, it } from "vitest";
import { Breaker } from "./breaker.js";

describe("Breaker", () => {
  it("runs up to its capacity, queues up to its depth in arrival order, and turns the rest away", () => {
    const started: string[] = [];
    const b = new Breaker<string>(2, 2, (item) => started.push(item));
    expect(["a", "b", "c", "d", "e"].map((x) => b.enter(x))).toEqual([
      "started",
      "started",
      "queued",
      "queued",
      "full",
    ]);
    expect(started).toEqual(["a", "b"]);
    expect([b.active, b.waiting]).toEqual([2, 2]);
    b.leave();
    expect(started).toEqual(["a", "b", "c"]);
    b.leave();
    b.leave();
    expect(started).toEqual(["a", "b", "c", "d"]);
    expect([b.active, b.waiting]).toEqual([1, 0]);
  });

  it("lets a waiting item go before its turn, and only a waiting one", () => {
    const started: string[] = [];
    const b = new Breaker<string>(1, 5, (item) => started.push(item));
    b.enter("a");
    b.enter("b");
    b.enter("c");
    expect(b.withdraw("b")).toBe(true);
    expect(b.withdraw("a")).toBe(false);
    b.leave();
    expect(started).toEqual(["a", "c"]);
  });
});
