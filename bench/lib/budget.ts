/**
 * The budget stage's figures (issue 15): CPU per processed event, role by role and in total, with
 * the accept rate, the end-to-end rate, p95 accept latency, lost and duplicates; per tree (this
 * checkout, and the baseline's when `--baseline` names one), and the ratios between the two. Pure.
 */
import type { CellResult } from "./cells.js";
import { perEvent, ROLES, type CpuBudget, type RoleCpu } from "./cpu-budget.js";
import { BUDGET_RATIO, type BudgetTrial } from "./plan.js";
import { median, spread, type Spread } from "./stats.js";
import { notRun, type Target } from "./summary.js";

export interface BudgetTrialResult {
  trial: BudgetTrial;
  /** The checkout measured, and its commit. */
  root: string;
  commit: string;
  cell: CellResult;
  /**
   * The same processes idle for a few seconds after the warm-up: what they spend per second with
   * no traffic (timers, scrapes, heartbeats). Per event that weighs more the lower the rate.
   */
  idle: CpuBudget | null;
}

export interface BudgetRoleSummary {
  role: RoleCpu["role"];
  /** Most processes of the role seen in one trial. */
  processes: number;
  /** Median over the trials. */
  usPerEvent: number;
  /** Idle, milliseconds of CPU per second (median over the trials); null if not measured. */
  idleMsPerSecond: number | null;
  /** Context switches of the role's processes per processed event (median); null: not read. */
  switchesPerEvent: number | null;
  /** Read and write system calls of the role's processes per processed event (median); null: not read. */
  ioCallsPerEvent: number | null;
}

export interface BudgetSummary {
  tree: BudgetTrial["tree"];
  /** The sampler ratio its trials ran at. */
  ratio: number;
  root: string;
  commit: string;
  trials: number;
  events: number;
  /** Null when CPU could not be read (not Linux). */
  roles: BudgetRoleSummary[] | null;
  /** Each trial's total, load generator excluded. */
  totalUsPerEvent: Spread | null;
  /** Each trial's context switches of the whole machine per processed event (cpu-budget.ts). */
  switchesPerEvent: Spread | null;
  /** Each trial's read and write system calls per processed event, every process measured. */
  ioCallsPerEvent: Spread | null;
  acceptedPerSecond: Spread;
  endToEndPerSecond: Spread | null;
  p95Ms: number;
  lost: number;
  duplicates: number;
}

const ROWS: RoleCpu["role"][] = [...ROLES, "exited between samples"];

export function summariseBudget(results: readonly BudgetTrialResult[]): BudgetSummary[] {
  const trees = [...new Set(results.map((r) => r.trial.tree))];
  return trees.map((tree) => {
    const g = results.filter((r) => r.trial.tree === tree);
    const withCpu = g.filter((r) => r.cell.cpu && r.cell.ledger.processed > 0);
    const tables = withCpu.map((r) => perEvent(r.cell.cpu!, r.cell.ledger.processed));
    const e2e = g.flatMap((r) => (r.cell.endToEnd ? [r.cell.endToEnd.processedPerSecond] : []));
    const switches = withCpu.flatMap((r) =>
      r.cell.cpu!.contextSwitches === null
        ? []
        : [r.cell.cpu!.contextSwitches / r.cell.ledger.processed],
    );
    const ioCalls = withCpu.flatMap((r) => {
      const counted = r.cell.cpu!.roles.filter((x) => x.ioCalls !== null);
      return counted.length
        ? [counted.reduce((a, x) => a + x.ioCalls!, 0) / r.cell.ledger.processed]
        : [];
    });
    return {
      tree,
      ratio: g[0]!.trial.ratio,
      root: g[0]!.root,
      commit: g[0]!.commit,
      trials: g.length,
      events: g[0]!.cell.plan.size,
      roles: tables.length
        ? ROWS.map((role) => {
            const rows = tables.map((t) => t.rows.find((r) => r.role === role)!);
            const idle = g.flatMap((r) =>
              r.idle && r.idle.wallSeconds > 0
                ? [
                    (r.idle.roles.find((x) => x.role === role)!.cpuSeconds * 1000) /
                      r.idle.wallSeconds,
                  ]
                : [],
            );
            const switches = withCpu.flatMap((r) => {
              const n = r.cell.cpu!.roles.find((x) => x.role === role)?.contextSwitches ?? null;
              return n === null ? [] : [n / r.cell.ledger.processed];
            });
            const calls = withCpu.flatMap((r) => {
              const n = r.cell.cpu!.roles.find((x) => x.role === role)?.ioCalls ?? null;
              return n === null ? [] : [n / r.cell.ledger.processed];
            });
            return {
              role,
              processes: Math.max(...rows.map((r) => r.processes)),
              usPerEvent: median(rows.map((r) => r.usPerEvent)),
              idleMsPerSecond: idle.length ? median(idle) : null,
              switchesPerEvent: switches.length ? median(switches) : null,
              ioCallsPerEvent: calls.length ? median(calls) : null,
            };
          })
        : null,
      totalUsPerEvent: tables.length ? spread(tables.map((t) => t.totalUsPerEvent)) : null,
      switchesPerEvent: switches.length ? spread(switches) : null,
      ioCallsPerEvent: ioCalls.length ? spread(ioCalls) : null,
      acceptedPerSecond: spread(g.map((r) => r.cell.load.acceptedPerSecond)),
      endToEndPerSecond: e2e.length ? spread(e2e) : null,
      p95Ms: median(g.map((r) => r.cell.load.latencyMs.p95)),
      lost: g.reduce((a, r) => a + r.cell.ledger.lost, 0),
      duplicates: g.reduce((a, r) => a + r.cell.ledger.duplicates, 0),
    };
  });
}

export interface BudgetComparisonRow {
  figure: string;
  current: number;
  baseline: number;
  /** current ÷ baseline: below 1 is less CPU (or, for rates, slower). */
  ratio: number;
}

/** This tree against the baseline, figure by figure (medians). */
export function compareBudgets(
  current: BudgetSummary,
  baseline: BudgetSummary,
): BudgetComparisonRow[] {
  const row = (figure: string, c: number, b: number) => ({
    figure,
    current: c,
    baseline: b,
    ratio: b > 0 ? c / b : NaN,
  });
  const out: BudgetComparisonRow[] = [];
  if (current.roles && baseline.roles) {
    for (const r of current.roles) {
      const b = baseline.roles.find((x) => x.role === r.role)!;
      if (r.usPerEvent > 0 || b.usPerEvent > 0)
        out.push(row(`${r.role}, µs/event`, r.usPerEvent, b.usPerEvent));
    }
    out.push(
      row("total, µs/event", current.totalUsPerEvent!.median, baseline.totalUsPerEvent!.median),
    );
  }
  if (current.switchesPerEvent && baseline.switchesPerEvent)
    out.push(
      row(
        "context switches per event, whole machine",
        current.switchesPerEvent.median,
        baseline.switchesPerEvent.median,
      ),
    );
  if (current.roles && baseline.roles)
    for (const r of current.roles) {
      const b = baseline.roles.find((x) => x.role === r.role)!;
      if (
        r.ioCallsPerEvent !== null &&
        b.ioCallsPerEvent !== null &&
        r.ioCallsPerEvent + b.ioCallsPerEvent > 0
      )
        out.push(
          row(`${r.role}, read/write calls per event`, r.ioCallsPerEvent, b.ioCallsPerEvent),
        );
    }
  if (current.ioCallsPerEvent && baseline.ioCallsPerEvent)
    out.push(
      row(
        "read/write calls per event, every process measured",
        current.ioCallsPerEvent.median,
        baseline.ioCallsPerEvent.median,
      ),
    );
  out.push(
    row("accepted req/s", current.acceptedPerSecond.median, baseline.acceptedPerSecond.median),
  );
  if (current.endToEndPerSecond && baseline.endToEndPerSecond)
    out.push(
      row(
        "end to end events/s",
        current.endToEndPerSecond.median,
        baseline.endToEndPerSecond.median,
      ),
    );
  out.push(row("p95 accept latency, ms", current.p95Ms, baseline.p95Ms));
  return out;
}

/**
 * Issue 15's targets, on this tree's budget stage. They are set at sampler ratio 0.01: a stage run
 * at another (`--budget-ratio`) shows its figures but is not judged by them.
 */
export function budgetTargets(
  current: BudgetSummary | undefined,
  ratio: number = BUDGET_RATIO,
): Target[] {
  const total = "budget stage: CPU per processed event, every process (median)";
  const e2e = "budget stage: end to end, first request to last event processed (median)";
  const p95 = "budget stage: p95 accept latency at 50 connections (median)";
  if (!current)
    return [notRun(total, "≤ 1,000 µs"), notRun(e2e, "≥ 2,000 events/s"), notRun(p95, "≤ 50 ms")];
  const t = current.totalUsPerEvent?.median;
  const r = current.endToEndPerSecond?.median;
  if (ratio !== BUDGET_RATIO) {
    const at = `, at ratio ${ratio} (targets are for ${BUDGET_RATIO})`;
    return [
      { ...notRun(total, "≤ 1,000 µs"), measured: `${t?.toFixed(0) ?? "-"} µs${at}` },
      { ...notRun(e2e, "≥ 2,000 events/s"), measured: `${r?.toFixed(0) ?? "-"}/s${at}` },
      { ...notRun(p95, "≤ 50 ms"), measured: `${current.p95Ms.toFixed(1)} ms${at}` },
    ];
  }
  return [
    t === undefined
      ? notRun(total, "≤ 1,000 µs")
      : { name: total, target: "≤ 1,000 µs", measured: `${t.toFixed(0)} µs`, met: t <= 1000 },
    r === undefined
      ? notRun(e2e, "≥ 2,000 events/s")
      : { name: e2e, target: "≥ 2,000 events/s", measured: `${r.toFixed(0)}/s`, met: r >= 2000 },
    {
      name: p95,
      target: "≤ 50 ms",
      measured: `${current.p95Ms.toFixed(1)} ms`,
      met: current.p95Ms <= 50,
    },
  ];
}
