/**
 * What a function records before the metrics SDK loads reaches Prometheus once it has (run.ts
 * loads it half a second after listening). Read through the real SDK and the real exporter's text.
 */
import type { BatchObservableCallback, ObservableCallback } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { DeferredMeter } from "./deferred-meter.js";

function sdk() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meter = new MeterProvider({ readers: [exporter] }).getMeter("t");
  // The exporter's text, less the scope label it puts on every series.
  const scrape = async () =>
    new PrometheusSerializer()
      .serialize((await exporter.collect()).resourceMetrics)
      .replace(/,?otel_scope_name="t"/g, "")
      .replace(/\{,?/g, (m) => (m === "{," ? "{" : m))
      .replace(/\{\}/g, "");
  return { meter, scrape };
}

describe("DeferredMeter", () => {
  it("replays what was recorded before attach, in order, with its attributes", async () => {
    const deferred = new DeferredMeter();
    const counter = deferred.createCounter("deliveries");
    const histogram = deferred.createHistogram("work_seconds", { unit: "s" });
    const gauge = deferred.createGauge("depth");
    const upDown = deferred.createUpDownCounter("in_flight");
    counter.add(1, { kind: "first" });
    counter.add(2, { kind: "first" });
    counter.add(1, { kind: "duplicate" });
    histogram.record(0.25);
    gauge.record(7);
    gauge.record(3);
    upDown.add(5);
    upDown.add(-2);

    const { meter, scrape } = sdk();
    expect(deferred.attached).toBe(false);
    expect(deferred.attach(meter)).toEqual({ dropped: 0 });
    const text = await scrape();
    expect(text).toContain('deliveries_total{kind="first"} 3');
    expect(text).toContain('deliveries_total{kind="duplicate"} 1');
    expect(text).toContain("work_seconds_count 1");
    expect(text).toContain("work_seconds_sum 0.25");
    expect(text).toMatch(/^depth 3$/m); // the last value, as recorded last
    expect(text).toMatch(/^in_flight 3$/m);
  });

  it("goes straight to the real instruments after attach, made before or after it", async () => {
    const deferred = new DeferredMeter();
    const before = deferred.createCounter("before");
    const { meter, scrape } = sdk();
    deferred.attach(meter);
    before.add(2);
    deferred.createCounter("after").add(4);
    const text = await scrape();
    expect(text).toMatch(/^before_total 2$/m);
    expect(text).toMatch(/^after_total 4$/m);
  });

  it("hands observable callbacks over, less those removed before attach", async () => {
    const deferred = new DeferredMeter();
    const ratio = deferred.createObservableGauge("ratio");
    const kept: ObservableCallback = (result) => result.observe(0.5, { from: "kept" });
    const removed: ObservableCallback = (result) => result.observe(1, { from: "removed" });
    ratio.addCallback(kept);
    ratio.addCallback(removed);
    ratio.removeCallback(removed);
    const ticks = deferred.createObservableCounter("ticks");
    const batch: BatchObservableCallback = (result) => result.observe(ticks, 9);
    deferred.addBatchObservableCallback(batch, [ticks]);

    const { meter, scrape } = sdk();
    deferred.attach(meter);
    const text = await scrape();
    expect(text).toContain('ratio{from="kept"} 0.5');
    expect(text).not.toContain('from="removed"');
    expect(text).toMatch(/^ticks_total 9$/m);

    // Made and removed after attach, a batch callback over a stand-in goes too.
    const later = deferred.createObservableUpDownCounter("later");
    let calls = 0;
    const laterBatch: BatchObservableCallback = (result) => {
      calls++;
      result.observe(later, 4);
    };
    deferred.addBatchObservableCallback(laterBatch, [later]);
    expect(await scrape()).toMatch(/^later 4$/m);
    expect(calls).toBe(1);
    deferred.removeBatchObservableCallback(laterBatch, [later]);
    await scrape();
    expect(calls).toBe(1);
  });

  it("keeps at most maxPending records, dropping the oldest, and says how many", async () => {
    const deferred = new DeferredMeter(2);
    const counter = deferred.createCounter("c");
    counter.add(100);
    counter.add(1);
    counter.add(2);
    const { meter, scrape } = sdk();
    expect(deferred.attach(meter)).toEqual({ dropped: 1 });
    expect(await scrape()).toMatch(/^c_total 3$/m);
  });

  it("refuses a second attach", () => {
    const deferred = new DeferredMeter();
    deferred.attach(sdk().meter);
    expect(() => deferred.attach(sdk().meter)).toThrow("attached twice");
  });
});
