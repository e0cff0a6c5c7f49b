/**
 * From trials to the report's figures: each (size, ratio, mode) cell's medians and spreads, the
 * monitoring verdict per size, and the targets, met or not. Pure.
 */
import type { CellResult } from "./cells.js";
import { perEvent } from "./cpu-budget.js";
import { median, noiseTest, spread, type NoiseVerdict, type Spread } from "./stats.js";

export interface CellSummary {
  mode: "closed" | "open";
  size: number;
  ratio: number;
  trials: number;
  acceptedPerSecond: Spread;
  /** From the first request sent to the last event processed; null when no trial processed any. */
  endToEndPerSecond: Spread | null;
  /** CPU of every process (load generator excluded) per processed event, µs, median of the trials. */
  cpuUsPerEvent: number | null;
  latencyMs: { p50: number; p95: number; p99: number };
  /** The lowest success rate of the trials. */
  successRate: number;
  lost: number;
  duplicates: number;
  redeliveries: number;
  unanswered: number;
  drainMs: number | null;
  peakQueueDepth: number;
  /** Open loop: the target arrival rate. */
  targetRate?: number;
}

export function summarise(cells: readonly CellResult[]): CellSummary[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    const key = `${c.plan.mode}/${c.plan.size}/${c.plan.ratio}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((g) => {
    const drains = g.map((c) => c.drainMs);
    const first = g[0]!.plan;
    const e2e = g.flatMap((c) => (c.endToEnd ? [c.endToEnd.processedPerSecond] : []));
    const cpu = g.flatMap((c) =>
      c.cpu ? [perEvent(c.cpu, c.ledger.processed).totalUsPerEvent].filter(Number.isFinite) : [],
    );
    return {
      mode: first.mode,
      size: first.size,
      ratio: first.ratio,
      trials: g.length,
      acceptedPerSecond: spread(g.map((c) => c.load.acceptedPerSecond)),
      endToEndPerSecond: e2e.length ? spread(e2e) : null,
      cpuUsPerEvent: cpu.length ? median(cpu) : null,
      latencyMs: {
        p50: median(g.map((c) => c.load.latencyMs.p50)),
        p95: median(g.map((c) => c.load.latencyMs.p95)),
        p99: median(g.map((c) => c.load.latencyMs.p99)),
      },
      successRate: Math.min(...g.map((c) => c.successRate)),
      lost: g.reduce((a, c) => a + c.ledger.lost, 0),
      duplicates: g.reduce((a, c) => a + c.ledger.duplicates, 0),
      redeliveries: g.reduce((a, c) => a + c.ledger.redeliveries, 0),
      unanswered: g.reduce((a, c) => a + c.ledger.unanswered, 0),
      drainMs: drains.includes(null) ? null : median(drains as number[]),
      peakQueueDepth: Math.max(...g.map((c) => c.peakQueueDepth)),
      ...(first.rate ? { targetRate: first.rate } : {}),
    };
  });
}

export interface MonitoringVerdict {
  size: number;
  mode: "closed" | "open";
  /** Ratio 1 against ratio 0. */
  on: NoiseVerdict | null;
  /** Ratio 0.1 against ratio 0. */
  sampled: NoiseVerdict | null;
}

export function monitoringVerdicts(cells: readonly CellResult[]): MonitoringVerdict[] {
  const rates = (mode: string, size: number, ratio: number) =>
    cells
      .filter((c) => c.plan.mode === mode && c.plan.size === size && c.plan.ratio === ratio)
      .map((c) => c.load.acceptedPerSecond);
  const keys = [...new Set(cells.map((c) => `${c.plan.mode}/${c.plan.size}`))];
  return keys.map((key) => {
    const [mode, sizeText] = key.split("/") as ["closed" | "open", string];
    const size = Number(sizeText);
    const off = rates(mode, size, 0);
    const test = (ratio: number) => {
      const other = rates(mode, size, ratio);
      return off.length && other.length ? noiseTest(off, other) : null;
    };
    return { size, mode, on: test(1), sampled: test(0.1) };
  });
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean | null;
}

/** A target whose stage did not run: neither met nor missed. */
export function notRun(name: string, target: string): Target {
  return { name, target, measured: "not run", met: null };
}

export function targets(
  summary: readonly CellSummary[],
  allCells: readonly CellResult[],
  extraLedgers: readonly { lost: number; duplicates: number }[],
): Target[] {
  const out: Target[] = [];
  const lost =
    allCells.reduce((a, c) => a + c.ledger.lost, 0) + extraLedgers.reduce((a, l) => a + l.lost, 0);
  const duplicates =
    allCells.reduce((a, c) => a + c.ledger.duplicates, 0) +
    extraLedgers.reduce((a, l) => a + l.duplicates, 0);
  out.push({
    name: "lost events, every run",
    target: "0",
    measured: String(lost),
    met: lost === 0,
  });
  out.push({
    name: "duplicate executions, every run",
    target: "0",
    measured: String(duplicates),
    met: duplicates === 0,
  });
  const at = (ratio: number) =>
    summary.find((s) => s.mode === "closed" && s.size === 50_000 && s.ratio === ratio);
  const off = at(0);
  const on = at(1);
  out.push(
    off
      ? {
          name: "50,000 requests, monitoring off: accepted req/s (median)",
          target: "≥ 4,000",
          measured: off.acceptedPerSecond.median.toFixed(0),
          met: off.acceptedPerSecond.median >= 4000,
        }
      : notRun("50,000 requests, monitoring off: accepted req/s (median)", "≥ 4,000"),
  );
  out.push(
    off && on
      ? {
          name: "50,000 requests, monitoring on vs off",
          target: "within 5%",
          measured: `${(((on.acceptedPerSecond.median - off.acceptedPerSecond.median) / off.acceptedPerSecond.median) * 100).toFixed(1)}%`,
          met: on.acceptedPerSecond.median >= 0.95 * off.acceptedPerSecond.median,
        }
      : notRun("50,000 requests, monitoring on vs off", "within 5%"),
  );
  const closed = summary.filter((s) => s.mode === "closed");
  const worstP95 = Math.max(...closed.map((s) => s.latencyMs.p95));
  out.push({
    name: "p95 accept latency, closed-loop cells (worst cell median)",
    target: "≤ 50 ms",
    measured: closed.length ? `${worstP95.toFixed(1)} ms` : "not run",
    met: closed.length ? worstP95 <= 50 : null,
  });
  return out;
}

/**
 * Issue 15's monitoring targets: at sampler ratio 1, the closed loop's accepted rate within 10 % of
 * ratio 0 at every size, and the open loop's p99 accept latency at most 1.5 times ratio 0's; at
 * 0.1, no size slower beyond the noise (monitoringVerdicts). Medians; "not run" without the cells.
 */
export function monitoringTargets(
  summary: readonly CellSummary[],
  verdicts: readonly MonitoringVerdict[],
): Target[] {
  const cell = (mode: string, size: number, ratio: number) =>
    summary.find((s) => s.mode === mode && s.size === size && s.ratio === ratio);
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} %`;
  const closedOn = verdicts.filter((v) => v.mode === "closed" && v.on);
  const openPairs = [...new Set(summary.filter((s) => s.mode === "open").map((s) => s.size))]
    .map((size) => ({ size, off: cell("open", size, 0), on: cell("open", size, 1) }))
    .filter((p) => p.off && p.on);
  const sampled = verdicts.filter((v) => v.mode === "closed" && v.sampled);
  const throughput = "monitoring, ratio 1 vs 0: closed-loop accepted req/s, each size (median)";
  const p99 = "monitoring, ratio 1 vs 0: open-loop p99 accept latency (median)";
  const tenth = "monitoring, ratio 0.1 vs 0: closed-loop accepted req/s, each size";
  return [
    closedOn.length
      ? {
          name: throughput,
          target: "within 10 %",
          measured: closedOn.map((v) => `${v.size}: ${pct(v.on!.change)}`).join(", "),
          met: closedOn.every((v) => v.on!.change >= -0.1),
        }
      : notRun(throughput, "within 10 %"),
    openPairs.length
      ? {
          name: p99,
          target: "≤ 1.5× ratio 0",
          measured: openPairs
            .map(
              (p) =>
                `${p.on!.latencyMs.p99.toFixed(1)} vs ${p.off!.latencyMs.p99.toFixed(1)} ms: ${(p.on!.latencyMs.p99 / p.off!.latencyMs.p99).toFixed(2)}×`,
            )
            .join("; "),
          met: openPairs.every((p) => p.on!.latencyMs.p99 <= 1.5 * p.off!.latencyMs.p99),
        }
      : notRun(p99, "≤ 1.5× ratio 0"),
    sampled.length
      ? {
          name: tenth,
          target: "within the noise",
          measured: sampled
            .map(
              (v) =>
                `${v.size}: ${pct(v.sampled!.change)}${v.sampled!.differs ? " (beyond the noise)" : ""}`,
            )
            .join(", "),
          // Faster beyond the noise is no cost.
          met: sampled.every((v) => !v.sampled!.differs || v.sampled!.change > 0),
        }
      : notRun(tenth, "within the noise"),
  ];
}
