import { describe, expect, it } from "vitest";
import type { WireSample } from "../wire.js";
import {
  formatAgo,
  formatRate,
  ingressSeries,
  lastValues,
  movingAverage,
  SampleWindow,
  seriesOf,
  stacked,
  tickStep,
  total,
} from "./series.js";

function sample(t: number, over: Partial<WireSample> = {}): WireSample {
  return {
    t,
    ingress: { accepted: 0, refused: 0 },
    consumers: {},
    queues: {},
    replicas: {},
    deadLetters: 0,
    samplerRatio: 0,
    brokerConnected: true,
    totals: { accepted: 0, refused: 0, processed: 0, deadLettered: 0 },
    ...over,
  };
}

describe("the page's sample window", () => {
  it("keeps only the window, ignores samples it already has, and starts over on reset", () => {
    const w = new SampleWindow(1000, 250);
    w.append([sample(0), sample(250), sample(500)]);
    w.append([sample(500), sample(1250)]);
    expect(w.samples.map((s) => s.t)).toEqual([500, 1250]);
    w.reset(2000, 500, [sample(10)]);
    expect([w.windowMs, w.perSecond, w.samples.length]).toEqual([2000, 2, 1]);
  });

  it("shows a shorter view with the sample just before it, so lines reach the left edge", () => {
    const w = new SampleWindow(10_000, 1000);
    w.append([0, 1000, 2000, 3000, 4000].map((t) => sample(t)));
    expect(w.xRange(2500)).toEqual([1.5, 4]);
    expect(w.visible(2500).map((s) => s.t)).toEqual([1000, 2000, 3000, 4000]);
    expect(w.xRange(60_000)).toEqual([-6, 4]);
  });
});

describe("series", () => {
  it("one per name, sorted; a missing name or an unknown depth is a gap, not a zero", () => {
    const set = seriesOf(
      [
        sample(1000, { queues: { order: 3, payment: null } }),
        sample(2000, { queues: { order: 5 } }),
      ],
      (s) => s.queues,
    );
    expect(set).toEqual({
      names: ["order", "payment"],
      data: [
        [1, 2],
        [3, 5],
        [null, null],
      ],
    });
    expect(lastValues(set)).toEqual({ order: 5, payment: null });
    expect(total(lastValues(set))).toBe(5);
    expect(total({ a: null })).toBeNull();
  });

  it("stacks counts, the top line being the total", () => {
    const set = seriesOf(
      [sample(0, { replicas: { a: 1, b: 0 } }), sample(1000, { replicas: { a: 1, b: 2 } })],
      (s) => s.replicas,
    );
    expect(stacked(set).data).toEqual([
      [0, 1],
      [1, 1],
      [1, 3],
    ]);
  });

  it("averages rates over about a second", () => {
    expect(movingAverage([4, 0, 0, 0, 8, null], 4)).toEqual([4, 2, 4 / 3, 1, 2, 8 / 3]);
    expect(movingAverage([null, null], 2)).toEqual([null, null]);
    const set = ingressSeries(
      [
        sample(0, { ingress: { accepted: 100, refused: 0 } }),
        sample(250, { ingress: { accepted: 300, refused: 20 } }),
      ],
      4,
    );
    expect(lastValues(set)).toEqual({ accepted: 200, refused: 10 });
  });

  it("formats numbers and the time axis for people", () => {
    expect([
      formatRate(null),
      formatRate(0),
      formatRate(0.25),
      formatRate(12.6),
      formatRate(12345),
    ]).toEqual(["–", "0", "0.3", "13", "12,345"]);
    expect([formatAgo(0), formatAgo(15), formatAgo(60), formatAgo(90), formatAgo(300)]).toEqual([
      "now",
      "−15 s",
      "−1 min",
      "−1:30",
      "−5 min",
    ]);
    expect(tickStep(300, 800)).toBe(30);
    expect(tickStep(300, 300)).toBe(120);
    expect(tickStep(60, 800)).toBe(10);
    expect(tickStep(60, 1000)).toBe(5);
  });
});
