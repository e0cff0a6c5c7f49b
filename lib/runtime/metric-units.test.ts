/**
 * Prometheus metric names carry their unit (`_seconds`, `_bytes`), as Prometheus's naming
 * practice asks. @opentelemetry/exporter-prometheus 0.223 does not append a suffix for an
 * instrument's `unit` (it only writes a `# UNIT` line), so the instrument names carry it: every
 * instrument in functions/, lib/ and platform/ with a time or size unit, or a name that says it
 * measures one, is held to that here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { SECONDS_BUCKETS } from "./duration-buckets.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SUFFIX: Record<string, string> = { s: "_seconds", By: "_bytes" };

interface Instrument {
  file: string;
  name: string;
  unit: string | undefined;
  histogram: boolean;
  /** Its options give the seconds buckets (duration-buckets.ts). */
  secondsBuckets: boolean;
}

function instruments(): Instrument[] {
  const out: Instrument[] = [];
  for (const dir of ["functions", "lib", "platform"])
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".ts") || entry.endsWith(".test.ts")) continue;
      const file = join(dir, entry);
      const text = readFileSync(join(ROOT, file), "utf8");
      const constants = new Map(
        [...text.matchAll(/const (\w+) = "([^"]+)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      for (const m of text.matchAll(
        /\.create(Counter|Histogram|ObservableGauge|Gauge|UpDownCounter|ObservableCounter)\(\s*(?:"([^"]+)"|(\w+))\s*,\s*\{([^}]*)\}/g,
      ))
        out.push({
          file,
          name: (m[2] ?? constants.get(m[3]!) ?? m[3]!).replace(/[^\w]/g, "_"),
          unit: /unit:\s*"([^"]+)"/.exec(m[4]!)?.[1],
          histogram: m[1] === "Histogram",
          secondsBuckets: /explicitBucketBoundaries:\s*SECONDS_BUCKETS/.test(m[4]!),
        });
    }
  return out;
}

describe("metric names", () => {
  it("finds the instruments (the scan is not empty)", () => {
    const names = instruments().map((i) => i.name);
    expect(names).toContain("leveler_consumer_process_duration_seconds");
    expect(names).toContain("messaging_process_duration_seconds");
    expect(names).toContain("leveler_ingress_events_accepted");
  });

  it("end with the unit's suffix when the unit is a time or a size, and time is in seconds", () => {
    for (const { file, name, unit } of instruments()) {
      const where = `${name} (${file})`;
      expect(unit ?? "", `${where}: use seconds`).not.toMatch(/^(ms|us|ns|min|h)$/);
      if (unit && SUFFIX[unit]) expect(name, where).toMatch(new RegExp(`${SUFFIX[unit]}$`));
      if (/duration|latency|time|_seconds$/.test(name)) expect(unit, where).toBe("s");
      if (/size|_bytes$/.test(name)) expect(unit, where).toBe("By");
    }
  });

  it("histograms in seconds count in buckets made for seconds, not the SDK's milliseconds", async () => {
    const seconds = instruments().filter((i) => i.histogram && i.unit === "s");
    expect(seconds.map((i) => i.name)).toContain("leveler_consumer_process_duration_seconds");
    for (const { file, name, secondsBuckets } of seconds)
      expect(
        secondsBuckets,
        `${name} (${file}): advice: { explicitBucketBoundaries: SECONDS_BUCKETS }`,
      ).toBe(true);

    // And the SDK takes the advice: 3 ms lands in the 5 ms bucket, not in one of 5 s.
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const meter = new MeterProvider({ readers: [exporter] }).getMeter("t");
    meter
      .createHistogram("w.duration_seconds", {
        unit: "s",
        advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
      })
      .record(0.003);
    const text = new PrometheusSerializer().serialize((await exporter.collect()).resourceMetrics);
    expect(text).toMatch(/^w_duration_seconds_bucket\{[^}]*le="0\.005"\} 1$/m);
    expect(text).not.toMatch(/le="5000"/);
  });

  it("are written as named: the exporter adds `_total` to counters and nothing for a unit", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const meter = new MeterProvider({ readers: [exporter] }).getMeter("t");
    meter.createHistogram("a.duration_seconds", { unit: "s" }).record(1);
    meter.createCounter("b.received_bytes", { unit: "By" }).add(1);
    const text = new PrometheusSerializer().serialize((await exporter.collect()).resourceMetrics);
    expect(text).toMatch(/^# TYPE a_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE b_received_bytes_total counter$/m);
  });
});
