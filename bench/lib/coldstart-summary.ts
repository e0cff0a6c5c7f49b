/**
 * The cold-start stage's figures (lib/coldstart.ts measures them): per consumer and for all of
 * them together, and issue 15's targets, met or not. Pure.
 */
import { notRun, type Target } from "./summary.js";

export interface FunctionFootprint {
  name: string;
  bundleKiB: number;
  /** One idle replica's VmRSS, and the RssAnon part of it; null when none was running. */
  idleRssMb: number | null;
  idleAnonMb: number | null;
}

export interface ConsumerColdStarts extends FunctionFootprint {
  /** POST → reply in the broker, per cold start. */
  samplesMs: number[];
  /** The replica's CPU (utime + stime, 10 ms ticks) when its reply arrived, per cold start. */
  startCpuMs: number[];
}

export interface ColdStartResult {
  runs: number;
  consumers: ConsumerColdStarts[];
  ingress: FunctionFootprint;
}

/** Nearest-rank percentile; NaN of nothing. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

const TARGET_P50_MS = 200;
const TARGET_P95_MS = 400;
const TARGET_IDLE_MB = 70;
const TARGET_BUNDLE_KIB = 1024;

/** Every consumer's cold starts together, and the largest bundle and idle consumer replica. */
export function summariseColdStarts(r: ColdStartResult): {
  p50Ms: number;
  p95Ms: number;
  maxBundleKiB: number;
  /** The consumers only: the dead-letters sink is a Service of its own. */
  maxIdleConsumerMb: number | null;
} {
  const all = r.consumers.flatMap((c) => c.samplesMs);
  const idle = r.consumers.flatMap((c) => (c.idleRssMb === null ? [] : [c.idleRssMb]));
  return {
    p50Ms: percentile(all, 50),
    p95Ms: percentile(all, 95),
    maxBundleKiB: Math.max(...[...r.consumers, r.ingress].map((f) => f.bundleKiB)),
    maxIdleConsumerMb: idle.length ? Math.max(...idle) : null,
  };
}

/** Which of issue 15's cold-start targets the figures meet (idle: null when no replica was read). */
function judge(s: ReturnType<typeof summariseColdStarts>): {
  p50: boolean;
  p95: boolean;
  bundle: boolean;
  idle: boolean | null;
} {
  return {
    p50: s.p50Ms <= TARGET_P50_MS,
    p95: s.p95Ms <= TARGET_P95_MS,
    bundle: s.maxBundleKiB <= TARGET_BUNDLE_KIB,
    idle: s.maxIdleConsumerMb === null ? null : s.maxIdleConsumerMb <= TARGET_IDLE_MB,
  };
}

/** Issue 15's cold-start targets; "not run" without a result. */
export function coldStartTargets(r: ColdStartResult | null): Target[] {
  const names = {
    p50: "cold start, event published → consumer's reply, every consumer: p50",
    p95: "cold start, event published → consumer's reply, every consumer: p95",
    idle: "idle consumer replica, RSS",
  };
  if (!r)
    return [
      notRun(names.p50, `≤ ${TARGET_P50_MS} ms`),
      notRun(names.p95, `≤ ${TARGET_P95_MS} ms`),
      notRun(names.idle, `≤ ${TARGET_IDLE_MB} MB`),
    ];
  const s = summariseColdStarts(r);
  const met = judge(s);
  return [
    {
      name: names.p50,
      target: `≤ ${TARGET_P50_MS} ms`,
      measured: `${s.p50Ms.toFixed(0)} ms`,
      met: met.p50,
    },
    {
      name: names.p95,
      target: `≤ ${TARGET_P95_MS} ms`,
      measured: `${s.p95Ms.toFixed(0)} ms`,
      met: met.p95,
    },
    {
      name: names.idle,
      target: `≤ ${TARGET_IDLE_MB} MB`,
      measured: s.maxIdleConsumerMb === null ? "-" : `${s.maxIdleConsumerMb.toFixed(0)} MB`,
      met: met.idle,
    },
  ];
}

/** The per-function table, Markdown, and the verdict lines under it. */
export function coldStartTable(r: ColdStartResult): string {
  const n = (x: number | null) =>
    x === null || Number.isNaN(x) ? "-" : x.toLocaleString("en-US", { maximumFractionDigits: 0 });
  const rows = r.consumers.map(
    (c) =>
      `| ${c.name} | ${c.samplesMs.length} | ${n(percentile(c.samplesMs, 50))} ms | ${n(percentile(c.samplesMs, 95))} ms | ${n(Math.max(...c.samplesMs))} ms | ${c.startCpuMs.length ? `${n(percentile(c.startCpuMs, 50))} ms` : "-"} | ${n(c.bundleKiB)} KiB | ${n(c.idleRssMb)} MB | ${n(c.idleAnonMb)} MB |`,
  );
  const i = r.ingress;
  const s = summariseColdStarts(r);
  const met = judge(s);
  const verdict = (ok: boolean | null) => (ok === null ? "not read" : ok ? "met" : "MISSED");
  return [
    "| consumer | cold starts | p50 | p95 | max | replica CPU to reply (p50) | bundle | idle RSS | of it anonymous |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    `| ingress (min-scale 1) | - | - | - | - | - | ${n(i.bundleKiB)} KiB | ${n(i.idleRssMb)} MB | ${n(i.idleAnonMb)} MB |`,
    "",
    `all consumers: p50 ${n(s.p50Ms)} ms (target ≤ ${TARGET_P50_MS}: ${verdict(met.p50)}), p95 ${n(s.p95Ms)} ms (target ≤ ${TARGET_P95_MS}: ${verdict(met.p95)})`,
    `largest bundle ${n(s.maxBundleKiB)} KiB (target ≤ 1 MB: ${verdict(met.bundle)}); idle consumer replica ≤ ${n(s.maxIdleConsumerMb)} MB (target ≤ ${TARGET_IDLE_MB} MB: ${verdict(met.idle)})`,
  ].join("\n");
}
