import { describe, expect, it } from "vitest";
import { BusyTime } from "./busy-time.js";

describe("BusyTime", () => {
  it("adds each request's time in flight, finished or not", () => {
    const busy = new BusyTime();
    expect(busy.seconds(1_000)).toBe(0);
    busy.start(1_000);
    busy.start(1_500);
    // 1 s and 0.5 s so far.
    expect(busy.seconds(2_000)).toBeCloseTo(1.5, 9);
    expect(busy.active).toBe(2);
    busy.end(2_500);
    // The first took 1.5 s; the second is at 1.5 s and still going.
    expect(busy.seconds(3_000)).toBeCloseTo(3, 9);
    busy.end(3_000);
    expect(busy.active).toBe(0);
    // Nothing in flight: the total stays.
    expect(busy.seconds(10_000)).toBeCloseTo(3, 9);
  });

  it("gives the average in flight over a stretch as Δseconds ÷ Δtime", () => {
    const busy = new BusyTime();
    // Four requests in flight for the whole second between the reads, one for half of it.
    for (let i = 0; i < 4; i++) busy.start(0);
    const before = busy.seconds(1_000);
    busy.start(1_500);
    busy.end(2_000);
    expect(busy.seconds(2_000) - before).toBeCloseTo(4.5, 9);
  });
});
