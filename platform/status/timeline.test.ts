import { describe, expect, it } from "vitest";
import { rate, Timeline, type TimelineReading } from "./timeline.js";

const reading = (over: Partial<TimelineReading> = {}): TimelineReading => ({
  accepted: 0,
  refused: 0,
  processed: { order: 0 },
  deadLettered: 0,
  queues: { order: 0 },
  replicas: { order: 0 },
  deadLetters: 0,
  brokerConnected: true,
  ...over,
});

describe("Timeline", () => {
  it("turns cumulative counters into per-second rates over the time between readings", () => {
    const timeline = new Timeline(() => Promise.reject(new Error("unused")));
    expect(timeline.record(1000, reading())).toBeUndefined(); // the first reading only sets the origin
    const sample = timeline.record(
      1250,
      reading({
        accepted: 100,
        refused: 5,
        processed: { order: 50 },
        queues: { order: 50 },
        replicas: { order: 1 },
      }),
    )!;
    expect(sample.ingress).toEqual({ accepted: 400, refused: 20 });
    expect(sample.consumers).toEqual({ order: 200 });
    expect(sample.queues).toEqual({ order: 50 });
    expect(sample.replicas).toEqual({ order: 1 });
    expect(sample.totals).toEqual({ accepted: 100, refused: 5, processed: 50, deadLettered: 0 });
  });

  it("carries the last sampler ratio forward between reads of it", () => {
    const timeline = new Timeline(() => Promise.reject(new Error("unused")));
    timeline.record(0, reading({ samplerRatio: 0.1 }));
    expect(timeline.record(250, reading())!.samplerRatio).toBe(0.1);
    expect(timeline.record(500, reading({ samplerRatio: null }))!.samplerRatio).toBeNull();
  });

  it("keeps only the window and answers since(t) with newer samples, oldest first", () => {
    const timeline = new Timeline(() => Promise.reject(new Error("unused")), { windowMs: 1000 });
    for (let t = 0; t <= 3000; t += 250) timeline.record(t, reading({ accepted: t }));
    const all = timeline.since(0);
    expect(all.map((s) => s.t)).toEqual([2250, 2500, 2750, 3000]);
    expect(timeline.since(2500).map((s) => s.t)).toEqual([2750, 3000]);
    expect(timeline.since(5000)).toEqual([]);
  });

  it("tells subscribers of each new sample until they unsubscribe", () => {
    const timeline = new Timeline(() => Promise.reject(new Error("unused")));
    const seen: number[] = [];
    const unsubscribe = timeline.subscribe((s) => seen.push(s.t));
    timeline.record(0, reading());
    timeline.record(250, reading());
    unsubscribe();
    timeline.record(500, reading());
    expect(seen).toEqual([250]);
  });

  it("reads through the platform's reader and does not overlap a slow reading", async () => {
    let calls = 0;
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let now = 0;
    const timeline = new Timeline(
      async (withRatio) => {
        calls++;
        if (calls === 2) await slow;
        return reading({ accepted: calls * 10, ...(withRatio ? { samplerRatio: 1 } : {}) });
      },
      { now: () => (now += 500), ratioEvery: 2 },
    );
    await timeline.tick();
    const second = timeline.tick();
    await timeline.tick(); // skipped: the second reading is still running
    release();
    await second;
    expect(calls).toBe(2);
    expect(timeline.since(0)).toHaveLength(1);
    expect(timeline.since(0)[0]!.samplerRatio).toBe(1); // read on the first call, carried to the second
  });
});

describe("rate", () => {
  it("counts a counter that went back (a restarted process) from zero", () => {
    expect(rate(100, 150, 0.5)).toBe(100);
    expect(rate(100, 20, 1)).toBe(20);
    expect(rate(undefined, 30, 1)).toBe(30);
  });
});
