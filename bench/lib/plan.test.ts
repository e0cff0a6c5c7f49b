import { describe, expect, it } from "vitest";
import type { CellPlan } from "./cells.js";
import { buildPlan, openLoopRate, PlanError, type BenchFlags, type BenchPlan } from "./plan.js";

// Every flag bench/README.md documents, each with the values worth trying; every combination of
// them is built below.
const OPTIONS: [string, BenchFlags[]][] = [
  ["quick", [{ quick: true }]],
  ["events", [{ events: "3000" }]],
  ["open mode", [{ mode: "open", rate: "500" }]],
  ["reps", [{ reps: "1" }, { reps: "2" }]],
  ["connections", [{ connections: "10" }]],
  ["sizes", [{ sizes: "5000" }, { sizes: "500,50000" }]],
  ["ratios", [{ ratios: "1" }, { ratios: "0,0.1" }]],
  ["no-spike", [{ "no-spike": true }]],
  ["no-open", [{ "no-open": true }]],
  ["no-matrix", [{ "no-matrix": true }]],
  ["no-budget", [{ "no-budget": true }]],
  ["budget-events", [{ "budget-events": "1000" }]],
  ["budget-ratio", [{ "budget-ratio": "1" }]],
  ["baseline", [{ baseline: "/elsewhere" }]],
  ["baseline-ratio", [{ "baseline-ratio": "0" }]],
  ["no-coldstart", [{ "no-coldstart": true }]],
];

function* combinations(i = 0, acc: BenchFlags = {}): Generator<BenchFlags> {
  if (i === OPTIONS.length) {
    yield acc;
    return;
  }
  yield* combinations(i + 1, acc);
  for (const value of OPTIONS[i]![1]) yield* combinations(i + 1, { ...acc, ...value });
}

/** What a run of the plan would see, each cell accepting `rate` per second. */
const ranCells = (plan: BenchPlan, rate = 1234) =>
  plan.cells.map((plan: CellPlan) => ({ plan, load: { acceptedPerSecond: rate } }));

/** What keeps the plan from running to its end; empty when nothing does. */
function problems(plan: BenchPlan): string[] {
  const out: string[] = [];
  const finite = (n: number | undefined) => n !== undefined && Number.isFinite(n) && n > 0;
  if (!(plan.reps >= 1)) out.push(`reps ${plan.reps}`);
  if (!finite(plan.connections)) out.push(`connections ${plan.connections}`);
  if (!Number.isFinite(plan.events)) out.push(`events ${plan.events}`);
  if (!plan.cells.length && !plan.budget && !plan.spike && plan.coldStarts === null)
    out.push("nothing to run");
  if (plan.coldStarts !== null && !finite(plan.coldStarts))
    out.push(`cold starts ${plan.coldStarts}`);
  for (const c of plan.cells) {
    if (!finite(c.size)) out.push(`cell ${c.index}: size ${c.size}`);
    if (!(c.ratio >= 0 && c.ratio <= 1)) out.push(`cell ${c.index}: ratio ${c.ratio}`);
    if (c.mode === "open" && !finite(c.rate)) out.push(`cell ${c.index}: rate ${c.rate}`);
  }
  if (plan.cells.length && !plan.cells[0]!.warmup) out.push("no warm-up first");
  if (plan.open) {
    const { size, ratio } = plan.open.rateFrom;
    const from = plan.cells.filter(
      (c) => !c.warmup && c.mode === "closed" && c.size === size && c.ratio === ratio,
    );
    if (!from.length) out.push(`open loop depends on ${size} @ ${ratio}, not run`);
    else if (!finite(openLoopRate(plan.open, ranCells(plan)))) out.push("open-loop rate");
    if (plan.open.cells.some((c) => !finite(c.size))) out.push("open-loop size");
  }
  if (plan.budget) {
    const b = plan.budget;
    if (!finite(b.events) || !finite(b.warmupEvents)) out.push(`budget events ${b.events}`);
    const compared = b.baseline !== undefined || b.baselineRatio !== undefined;
    if (b.trials.length !== plan.reps * (compared ? 2 : 1)) out.push("budget trials");
    if (b.trials.some((t) => !(t.ratio >= 0 && t.ratio <= 1))) out.push("budget ratio");
  }
  const indices = [
    ...plan.cells.map((c) => c.index),
    ...(plan.open?.cells.map((c) => c.index) ?? []),
    ...(plan.budget?.trials.flatMap((t) => [t.warmupIndex, t.index]) ?? []),
  ];
  if (new Set(indices).size !== indices.length) out.push("a ledger index used twice");
  return out;
}

describe("buildPlan", () => {
  it("builds a finite, runnable plan for every combination of the documented flags", () => {
    let built = 0;
    let refused = 0;
    const failures: string[] = [];
    for (const flags of combinations()) {
      let plan: BenchPlan;
      try {
        plan = buildPlan(flags);
      } catch (err) {
        // The only combinations refused: a baseline with nothing to compare it on, or no stage.
        if (!(err instanceof PlanError)) throw err;
        const pointless =
          (flags.baseline !== undefined || flags["baseline-ratio"] !== undefined) &&
          (flags["no-budget"] || flags.events);
        const empty =
          flags["no-matrix"] &&
          (flags.events || (flags["no-budget"] && flags["no-spike"] && flags["no-coldstart"]));
        if (!pointless && !empty) failures.push(`${JSON.stringify(flags)}: ${err.message}`);
        refused++;
        continue;
      }
      const found = problems(plan);
      if (found.length) failures.push(`${JSON.stringify(flags)}: ${found.join("; ")}`);
      built++;
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(built).toBeGreaterThan(10_000);
    expect(refused).toBeGreaterThan(0);
  });

  it("takes the open-loop rate from a size that was run (--quick --sizes 5000 used to wait for ever)", () => {
    const plan = buildPlan({ quick: true, sizes: "5000" });
    expect(plan.open!.rateFrom).toEqual({ size: 5000, ratio: 0 });
    expect(plan.open!.cells.every((c) => c.size === 5000)).toBe(true);
    expect(openLoopRate(plan.open!, ranCells(plan, 1000))).toBe(800); // 75% of 1000, in hundreds
  });

  it("takes the open-loop rate from the lowest ratio run when 0 was not", () => {
    expect(buildPlan({ ratios: "1,0.1" }).open!.rateFrom).toEqual({ size: 20_000, ratio: 0.1 });
  });

  it("runs the old system's table by default, and the budget stage as the issue measured it", () => {
    const plan = buildPlan({});
    expect(plan.sizes).toEqual([5_000, 10_000, 20_000, 50_000]);
    expect(plan.ratios).toEqual([0, 0.1, 1]);
    expect(plan.cells.length).toBe(1 + 3 * 4 * 3);
    expect(plan.budget).toMatchObject({ events: 20_000, connections: 50, ratio: 0.01 });
    expect(plan.spike).toBe(true);
    expect(plan.coldStarts).toBe(20);
  });

  it("runs the cold starts unless told not to, fewer in a quick run, none in a single-size run", () => {
    expect(buildPlan({ quick: true }).coldStarts).toBe(5);
    expect(buildPlan({ "no-coldstart": true }).coldStarts).toBeNull();
    expect(buildPlan({ events: "3000" }).coldStarts).toBeNull();
    // The cold starts alone are a plan.
    const alone = buildPlan({ "no-matrix": true, "no-budget": true, "no-spike": true });
    expect(alone.coldStarts).toBe(20);
    expect(() =>
      buildPlan({ "no-matrix": true, "no-budget": true, "no-spike": true, "no-coldstart": true }),
    ).toThrow(/nothing to run/);
  });

  it("runs the budget stage at another sampler ratio when asked", () => {
    expect(buildPlan({ "budget-ratio": "1" }).budget!.ratio).toBe(1);
  });

  it("interleaves the baseline's budget trials with this tree's, alternating who goes first", () => {
    const trials = buildPlan({ baseline: "/b", reps: "3", "no-matrix": true }).budget!.trials;
    expect(trials.map((t) => t.tree)).toEqual([
      "current",
      "baseline",
      "baseline",
      "current",
      "current",
      "baseline",
    ]);
  });

  it("runs the baseline's trials at --baseline-ratio, on this checkout unless --baseline names one", () => {
    const stage = buildPlan({ "budget-ratio": "1", "baseline-ratio": "0", reps: "2" }).budget!;
    expect(stage.baseline).toBeUndefined();
    expect(stage.trials.map((t) => [t.tree, t.ratio])).toEqual([
      ["current", 1],
      ["baseline", 0],
      ["baseline", 0],
      ["current", 1],
    ]);
    // Without it, the baseline runs at the budget's ratio.
    const same = buildPlan({ baseline: "/b", "budget-ratio": "1" }).budget!;
    expect(same.trials.map((t) => t.ratio)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("refuses flags that would make a plan that never ends or means nothing", () => {
    expect(() => buildPlan({ mode: "open" })).toThrow(/--rate/);
    expect(() => buildPlan({ mode: "open", rate: "0" })).toThrow(PlanError);
    expect(() => buildPlan({ mode: "sideways" })).toThrow(/closed or open/);
    expect(() => buildPlan({ sizes: "0" })).toThrow(/--sizes/);
    expect(() => buildPlan({ sizes: "1000,x" })).toThrow(/--sizes/);
    expect(() => buildPlan({ ratios: "2" })).toThrow(/between 0 and 1/);
    expect(() => buildPlan({ reps: "1,2" })).toThrow(/one number/);
    expect(() => buildPlan({ "budget-ratio": "1.5" })).toThrow(/between 0 and 1/);
    expect(() => buildPlan({ "baseline-ratio": "2" })).toThrow(
      /--baseline-ratio .*between 0 and 1/,
    );
    expect(() => buildPlan({ "baseline-ratio": "0", "no-budget": true })).toThrow(
      /--baseline-ratio compares the budget stage/,
    );
  });
});

describe("openLoopRate", () => {
  it("refuses to make up a rate when no cell it depends on ran", () => {
    const plan = buildPlan({ quick: true });
    expect(() => openLoopRate(plan.open!, [])).toThrow(PlanError);
    expect(() => openLoopRate(plan.open!, ranCells(plan, 0))).toThrow(PlanError);
  });
});
