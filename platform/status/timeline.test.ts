import { afterEach, describe, expect, it, vi } from "vitest";
import { rate, Timeline, type TimelineReading } from "./timeline.js";

const sampler = (samplerRatio: number | null) => ({
  samplerRatio,
  applied: samplerRatio === null ? {} : { [String(samplerRatio)]: 1 },
});

const reading = (over: Partial<TimelineReading> = {}): TimelineReading => ({
  accepted: 0,
  acceptedByType: {},
  refused: 0,
  processed: { order: 0 },
  deadLettered: 0,
  queues: { order: 0 },
  replicas: { order: 0 },
  deadLetters: 0,
  deadLetterQueues: {},
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
    timeline.record(0, reading({ sampler: sampler(0.1) }));
    expect(timeline.record(250, reading())!.samplerRatio).toBe(0.1);
    expect(timeline.record(500, reading({ sampler: sampler(null) }))!.samplerRatio).toBeNull();
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
        return reading({ accepted: calls * 10, ...(withRatio ? { sampler: sampler(1) } : {}) });
      },
      { now: () => (now += 500), ratioEvery: 2 },
    );
    await timeline.tick();
    const second = timeline.tick();
    const third = timeline.tick(); // shares the second reading, which is still running
    release();
    await third;
    await second;
    expect(calls).toBe(2);
    expect(timeline.since(0)).toHaveLength(1);
    expect(timeline.since(0)[0]!.samplerRatio).toBe(1); // read on the first call, carried to the second
  });
});

describe("Timeline sampling", () => {
  afterEach(() => vi.useRealTimers());

  const counting = () => {
    const reads: boolean[] = [];
    const timeline = new Timeline(
      (withRatio) => {
        reads.push(withRatio);
        return Promise.resolve(reading({ accepted: reads.length }));
      },
      { intervalMs: 250, idleIntervalMs: 5000, watchLeaseMs: 2000 },
    );
    return { reads, timeline };
  };

  it("reads every interval while someone reads the samples, and seldom once nobody has for the lease", async () => {
    vi.useFakeTimers();
    const { reads, timeline } = counting();
    timeline.start();
    await vi.advanceTimersByTimeAsync(10_000); // nobody watches: the first reading, then one per 5 s
    expect(reads).toHaveLength(3);
    timeline.since(0); // someone looks: a reading at once, then every 250 ms
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads.length).toBeGreaterThanOrEqual(3 + 4);
    const watching = reads.length;
    await vi.advanceTimersByTimeAsync(11_000); // the lease ran out after 2 s
    expect(reads.length).toBeLessThanOrEqual(watching + 8 + 2);
    expect(timeline.watched).toBe(false);
    timeline.stop();
  });

  it("answers status from a fresh reading, and takes one (with the sampler ratio) when the last is stale", async () => {
    let now = 0;
    const reads: boolean[] = [];
    const timeline = new Timeline(
      (withRatio) => {
        reads.push(withRatio);
        return Promise.resolve(
          reading({ accepted: reads.length, ...(withRatio ? { sampler: sampler(0.5) } : {}) }),
        );
      },
      { now: () => now, ratioEvery: 100 },
    );
    const first = await timeline.current(200, 1000);
    expect(reads).toEqual([true]);
    expect(first.sampler?.samplerRatio).toBe(0.5);
    now = 150;
    expect((await timeline.current(200, 1000)).reading.accepted).toBe(1); // no new reading
    now = 500;
    expect((await timeline.current(200, 1000)).reading.accepted).toBe(2); // stale counts
    expect(reads).toEqual([true, false]);
    now = 2000;
    await timeline.current(200, 1000); // stale ratio
    expect(reads).toEqual([true, false, true]);
    expect(timeline.since(0).map((s) => s.t)).toEqual([500, 2000]); // status readings are samples too
  });
});

describe("rate", () => {
  it("counts a counter that went back (a restarted process) from zero", () => {
    expect(rate(100, 150, 0.5)).toBe(100);
    expect(rate(100, 20, 1)).toBe(20);
    expect(rate(undefined, 30, 1)).toBe(30);
  });
});
