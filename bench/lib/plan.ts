/**
 * What `npm run bench` will run, from its flags: the matrix of closed-loop cells (or open loop at a
 * fixed rate), the open-loop stage, the budget stage and whether the spike runs. Pure, so that
 * every combination of flags can be checked to give a finite plan in which no stage depends on a
 * cell that is not run (the open-loop stage takes its rate from closed-loop cells).
 */
import type { CellPlan } from "./cells.js";
import { median } from "./stats.js";

/** The flags as `node:util` parseArgs gives them (strings for values, booleans for switches). */
export interface BenchFlags {
  quick?: boolean;
  events?: string;
  mode?: string;
  rate?: string;
  reps?: string;
  connections?: string;
  sizes?: string;
  ratios?: string;
  "no-spike"?: boolean;
  "no-open"?: boolean;
  "no-matrix"?: boolean;
  "no-budget"?: boolean;
  "budget-events"?: string;
  "budget-ratio"?: string;
  baseline?: string;
  "baseline-ratio"?: string;
  "no-coldstart"?: boolean;
}

export class PlanError extends Error {
  override readonly name = "PlanError";
}

/** The open-loop stage: `size` events at ratios 0 and 1 per repetition, at a rate taken from the closed-loop cells of `rateFrom`. */
export interface OpenStage {
  size: number;
  rateFrom: { size: number; ratio: number };
  /** The share of the closed-loop rate to send at. */
  fraction: number;
  cells: Omit<CellPlan, "rate">[];
}

export interface BudgetTrial {
  rep: number;
  /** `current` is this checkout; `baseline` the one `--baseline` names (this one without it). */
  tree: "current" | "baseline";
  /** The sampler ratio of the trial: `--budget-ratio`, or `--baseline-ratio` for the baseline's. */
  ratio: number;
  /** Ledger index of the unmeasured warm-up, then of the measured stretch. */
  warmupIndex: number;
  index: number;
}

/**
 * The budget stage, as issue 15 measured it: every consumer at WORK_MS=1 (I/O-shaped), `events`
 * plain-JSON POSTs of the four types from `connections` connections at sampler ratio 0.01 (or
 * `--budget-ratio`, to see what tracing costs each process), with CPU read for every process.
 * Each trial runs on a platform of its own, started for it.
 */
export interface BudgetStage {
  events: number;
  warmupEvents: number;
  connections: number;
  ratio: number;
  /** Seconds read with no traffic after the warm-up. */
  idleSeconds: number;
  /** The checkout `--baseline` names; without it, a baseline (`--baseline-ratio`) is this one. */
  baseline?: string;
  /** The baseline trials' sampler ratio, when it is not `ratio` (what monitoring costs). */
  baselineRatio?: number;
  trials: BudgetTrial[];
}

export interface BenchPlan {
  mode: "closed" | "open";
  /** Open-loop matrix only. */
  openRate?: number;
  sizes: number[];
  ratios: number[];
  reps: number;
  connections: number;
  /** The matrix, warm-up first; empty with --no-matrix. */
  cells: CellPlan[];
  open: OpenStage | null;
  budget: BudgetStage | null;
  spike: boolean;
  /** Cold starts per consumer (lib/coldstart.ts), on a platform of their own; null: not run. */
  coldStarts: number | null;
  /** Events sent by the matrix, open loop and budget stages (the spike's are the spike's own). */
  events: number;
}

export const BUDGET_RATIO = 0.01;

function numbers(text: string, name: string, min = 0): number[] {
  return text.split(",").map((v) => {
    const n = Number(v.trim());
    if (v.trim() === "" || !Number.isFinite(n) || n < min)
      throw new PlanError(`--${name}: ${JSON.stringify(v)} is not a number ≥ ${min}`);
    return n;
  });
}

const one = (text: string, name: string, min: number) => {
  const all = numbers(text, name, min);
  if (all.length !== 1) throw new PlanError(`--${name} takes one number, not ${text}`);
  return all[0]!;
};

export function buildPlan(flags: BenchFlags): BenchPlan {
  const million = flags.events !== undefined;
  const quick = flags.quick ?? false;
  const modeFlag = flags.mode ?? "closed";
  if (modeFlag !== "open" && modeFlag !== "closed")
    throw new PlanError(`--mode is closed or open, not ${modeFlag}`);
  const mode: "closed" | "open" = modeFlag;
  if (mode === "open" && flags.rate === undefined)
    throw new PlanError("--mode open needs --rate <requests per second>");
  // A rate of 0 would schedule nothing and wait for ever.
  const openRate = flags.rate !== undefined ? one(flags.rate, "rate", 1) : undefined;
  const sizes = million
    ? numbers(flags.events!, "events", 1).map(Math.round)
    : flags.sizes !== undefined
      ? numbers(flags.sizes, "sizes", 1).map(Math.round)
      : quick
        ? [1_000, 2_000]
        : [5_000, 10_000, 20_000, 50_000];
  const ratios =
    flags.ratios !== undefined ? numbers(flags.ratios, "ratios") : million ? [0] : [0, 0.1, 1];
  if (ratios.some((r) => r > 1)) throw new PlanError("--ratios are sampler ratios between 0 and 1");
  const reps =
    flags.reps !== undefined
      ? Math.max(1, Math.round(one(flags.reps, "reps", 1)))
      : million
        ? 1
        : 3;
  const connections =
    flags.connections !== undefined
      ? Math.max(1, Math.round(one(flags.connections, "connections", 1)))
      : 50;
  const runMatrix = !flags["no-matrix"];

  let index = 0;
  const cells: CellPlan[] = [];
  if (runMatrix) {
    // One plan for every trial: repetition-major, sizes in order, the ratios rotated each repetition.
    const base = { mode, connections, ...(openRate ? { rate: openRate } : {}) } as const;
    cells.push({
      index: index++,
      rep: 0,
      size: Math.min(2_000, sizes[0]!),
      ratio: 0,
      ...base,
      warmup: true,
    });
    for (let rep = 0; rep < reps; rep++) {
      const rotated = ratios.map((_, i) => ratios[(i + rep) % ratios.length]!);
      for (const size of sizes)
        for (const ratio of rotated) cells.push({ index: index++, rep, size, ratio, ...base });
    }
  }

  // The open-loop stage needs closed-loop cells to take its rate from: of the sizes run, the
  // largest up to 20,000 (1,000 in a quick run), else the smallest; at ratio 0 if it was run.
  let open: OpenStage | null = null;
  if (runMatrix && !million && !flags["no-open"] && mode === "closed") {
    const cap = quick ? 1_000 : 20_000;
    const upToCap = sizes.filter((s) => s <= cap);
    const size = upToCap.length ? Math.max(...upToCap) : Math.min(...sizes);
    const ratio = ratios.includes(0) ? 0 : Math.min(...ratios);
    const openCells: Omit<CellPlan, "rate">[] = [];
    for (let rep = 0; rep < reps; rep++)
      for (const r of rep % 2 ? [1, 0] : [0, 1])
        openCells.push({ index: index++, rep, size, ratio: r, mode: "open", connections });
    open = { size, rateFrom: { size, ratio }, fraction: 0.75, cells: openCells };
  }

  let budget: BudgetStage | null = null;
  if (!million && !flags["no-budget"]) {
    const events =
      flags["budget-events"] !== undefined
        ? Math.round(one(flags["budget-events"], "budget-events", 1))
        : quick
          ? 4_000
          : 20_000;
    const ratio =
      flags["budget-ratio"] !== undefined
        ? one(flags["budget-ratio"], "budget-ratio", 0)
        : BUDGET_RATIO;
    const baselineRatio =
      flags["baseline-ratio"] !== undefined
        ? one(flags["baseline-ratio"], "baseline-ratio", 0)
        : undefined;
    for (const [name, r] of [
      ["--budget-ratio", ratio],
      ["--baseline-ratio", baselineRatio ?? 0],
    ] as const)
      if (r > 1) throw new PlanError(`${name} is a sampler ratio between 0 and 1`);
    const compared = flags.baseline !== undefined || baselineRatio !== undefined;
    const trees: BudgetTrial["tree"][] = compared ? ["current", "baseline"] : ["current"];
    const trials: BudgetTrial[] = [];
    for (let rep = 0; rep < reps; rep++)
      // Alternating which tree goes first, so drift hits both alike.
      for (const tree of rep % 2 ? [...trees].reverse() : trees)
        trials.push({
          rep,
          tree,
          ratio: tree === "baseline" ? (baselineRatio ?? ratio) : ratio,
          warmupIndex: index++,
          index: index++,
        });
    budget = {
      events,
      warmupEvents: Math.min(2_000, events),
      connections,
      ratio,
      idleSeconds: quick ? 3 : 5,
      ...(flags.baseline ? { baseline: flags.baseline } : {}),
      ...(baselineRatio !== undefined ? { baselineRatio } : {}),
      trials,
    };
  } else if (flags.baseline !== undefined || flags["baseline-ratio"] !== undefined) {
    throw new PlanError(
      `${flags.baseline !== undefined ? "--baseline" : "--baseline-ratio"} compares the budget stage: drop --no-budget (and --events)`,
    );
  }

  const spike = !million && !flags["no-spike"];
  const coldStarts = million || flags["no-coldstart"] ? null : quick ? 5 : 20;
  if (!cells.length && !budget && !spike && coldStarts === null)
    throw new PlanError("nothing to run: every stage is switched off");
  const events =
    cells.reduce((a, c) => a + c.size, 0) +
    (open ? open.cells.length * open.size : 0) +
    (budget ? budget.trials.length * (budget.events + budget.warmupEvents) : 0);
  return {
    mode,
    ...(openRate !== undefined ? { openRate } : {}),
    sizes,
    ratios,
    reps,
    connections,
    cells,
    open,
    budget,
    spike,
    coldStarts,
    events,
  };
}

/**
 * The open-loop stage's rate: `fraction` of the median accepted rate of the closed-loop cells it
 * names, in hundreds, at least 100/s. Throws rather than returning a rate that would never finish
 * (no such cell ran, or none accepted anything).
 */
export function openLoopRate(
  stage: OpenStage,
  cells: readonly { plan: CellPlan; load: { acceptedPerSecond: number } }[],
): number {
  const rates = cells
    .filter(
      (c) =>
        !c.plan.warmup &&
        c.plan.mode === "closed" &&
        c.plan.size === stage.rateFrom.size &&
        c.plan.ratio === stage.rateFrom.ratio,
    )
    .map((c) => c.load.acceptedPerSecond)
    .filter((r) => Number.isFinite(r) && r > 0);
  if (!rates.length)
    throw new PlanError(
      `the open-loop stage takes its rate from closed-loop cells of ${stage.rateFrom.size} at ratio ${stage.rateFrom.ratio}, and none ran (or accepted anything)`,
    );
  return Math.max(100, Math.round((stage.fraction * median(rates)) / 100) * 100);
}
