/**
 * `npm run bench`: the benchmark that settles it. Starts the local platform itself, measures the
 * CPU budget (CPU per processed event of every process, RabbitMQ included; lib/cpu-sampler.ts),
 * optionally against a baseline checkout in the same run, reproduces the old system's table
 * (5,000-50,000 requests; monitoring off, sampled and on; each cell at least three interleaved
 * trials), counts every event id through to its consumer's reply, runs the same
 * sizes open loop, then the load-leveling spike, then cold starts (lib/coldstart.ts); writes a
 * Markdown report, a JSON file and SVG charts under bench/results/<timestamp>/ (bench/results/latest points at the newest).
 * Past 350 lines on purpose: the run reads top to bottom in the order it happens; its parts
 * (cells, spike, statistics, report, charts) live in bench/lib/.
 *
 *   npm run bench                      the full run (about 15 minutes on 2 cores)
 *   npm run bench -- --quick           a short version (about two minutes)
 *   npm run bench -- --events 1000000  one cell of a million events (loss and duplicates for all)
 *   --mode open --rate 3000            the matrix at a fixed arrival rate instead of closed loop
 *   --reps N  --connections N  --sizes 5000,10000  --ratios 0,1  --no-spike  --no-open
 *   --no-matrix  --no-budget  --budget-events N  --budget-ratio R  --no-coldstart
 *   --private-rabbitmq
 *   --baseline ../base                 the budget stage on that checkout's dist/ too, interleaved
 *   --baseline-ratio R                 the baseline's trials at sampler ratio R (this checkout's,
 *                                      without --baseline): what monitoring costs, in one run
 * The plan these flags make is lib/plan.ts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MultiBar, Presets } from "cli-progress";
import { readPlatformConfig } from "../platform/config.js";
import { loadManifests } from "../platform/manifests.js";
import { canConnect } from "../platform/rabbitmq.js";
import { budgetTargets, summariseBudget, type BudgetTrialResult } from "./lib/budget.js";
import { Ledgers, runCell, type CellPlan, type CellResult } from "./lib/cells.js";
import { renderSvg, throughputChart, timeSeriesChart, type SeriesPoint } from "./lib/charts.js";
import { coldStartEnv, measureColdStarts } from "./lib/coldstart.js";
import { coldStartTable, coldStartTargets, type ColdStartResult } from "./lib/coldstart-summary.js";
import { perEvent } from "./lib/cpu-budget.js";
import { cpuSamplingAvailable, startCpuSampler, type CpuRoot } from "./lib/cpu-sampler.js";
import { EVENT_TYPES } from "./lib/load.js";
import { startBenchPlatform, type BenchPlatform } from "./lib/local-platform.js";
import { watchReplies } from "./lib/replies.js";
import { buildPlan, openLoopRate, PlanError, type BenchPlan } from "./lib/plan.js";
import { erlangSchedulerThreads, rabbitmqPid, startPrivateRabbit } from "./lib/rabbitmq-node.js";
import { OLD_SYSTEM, percentOrDash, renderReport } from "./lib/report.js";
import type { BenchResults } from "./lib/results.js";
import {
  compareSpikes,
  fixedPaceManifests,
  runSpike,
  type SpikePlan,
  type SpikeResult,
} from "./lib/spike.js";
import { monitoringTargets, monitoringVerdicts, summarise, targets } from "./lib/summary.js";
import { readFlags } from "./lib/flags.js";

const ROOT = join(import.meta.dirname, "..", "..");

const flags = readFlags("npm run bench", {
  quick: { type: "boolean", default: false },
  events: { type: "string" },
  mode: { type: "string", default: "closed" },
  rate: { type: "string" },
  reps: { type: "string" },
  connections: { type: "string", default: "50" },
  sizes: { type: "string" },
  ratios: { type: "string" },
  "no-spike": { type: "boolean", default: false },
  "no-open": { type: "boolean", default: false },
  "no-matrix": { type: "boolean", default: false },
  "no-budget": { type: "boolean", default: false },
  "budget-events": { type: "string" },
  "budget-ratio": { type: "string" },
  baseline: { type: "string" },
  "baseline-ratio": { type: "string" },
  "no-coldstart": { type: "boolean", default: false },
  "private-rabbitmq": { type: "boolean", default: false },
});

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

let plan: BenchPlan;
try {
  plan = buildPlan(flags);
} catch (err) {
  if (err instanceof PlanError) fail(err.message);
  throw err;
}
const quick = flags.quick;
const { mode, sizes, ratios, reps, connections } = plan;
const plans = plan.cells;
const runSpikeScenario = plan.spike;
const baselineRoot = plan.budget?.baseline ? resolve(plan.budget.baseline) : undefined;
if (baselineRoot && !existsSync(join(baselineRoot, "dist", "platform", "main.js")))
  fail(
    `--baseline ${baselineRoot}: no dist/ there; build it first (cd ${baselineRoot} && npm run build)`,
  );

const config = readPlatformConfig();
// A node of the bench's own keeps other users' traffic out of RabbitMQ's CPU figures.
const privateRabbit = flags["private-rabbitmq"] ? await startPrivateRabbit(ROOT) : undefined;
const amqpUrl = privateRabbit?.url ?? config.amqpUrl;
if (!(await canConnect(amqpUrl)))
  fail(
    `RabbitMQ does not answer at ${amqpUrl}; start it (rabbitmq-server -detached) or set AMQP_URL`,
  );
// RabbitMQ's CPU is read from the process listening on the AMQP port, when it is on this machine.
const rabbitPid = rabbitmqPid(amqpUrl);
// Read now: a private node is stopped before the results are written.
const rabbitSchedulers = rabbitPid === null ? null : erlangSchedulerThreads(rabbitPid);
const cpuAvailable = cpuSamplingAvailable();
const cpuRoots = (platform: BenchPlatform): CpuRoot[] =>
  cpuAvailable
    ? [
        { pid: platform.pid, role: "platform" },
        ...(rabbitPid !== null ? [{ pid: rabbitPid, role: "RabbitMQ" as const }] : []),
      ]
    : [];

const startedAt = new Date();
// What is measured is the code as it was when the run began.
const git = gitState();
const stamp = startedAt
  .toISOString()
  .replace(/[:.]/g, "-")
  .replace(/-\d{3}Z$/, "Z");
const resultsRoot = join(ROOT, "bench", "results");
const outDir = join(resultsRoot, stamp);
mkdirSync(outDir, { recursive: true });

// The matrix measures the ingress; consumers are kept cheap (1 ms of waiting each) so the queues
// drain between cells. The spike sets their cost on purpose.
const CONSUMERS = ["order", "payment", "notification", "report"];
const matrixWork = "each consumer I/O-shaped, WORK_MS=1";
const matrixEnv = Object.fromEntries(
  CONSUMERS.flatMap((c) => [
    [`LEVELER_${c.toUpperCase()}_WORK_MS`, "1"],
    [`LEVELER_${c.toUpperCase()}_WORK_SHAPE`, "io"],
  ]),
);

// Consumers slow enough that a burst at 3× their capacity stays within what the ingress accepts on
// two shared cores (about 500/s with everything running): the queues, not the ingress, absorb it.
const spikePlan: SpikePlan = quick
  ? {
      capacityPerConsumer: 40,
      consumers: CONSUMERS.length,
      baselineRate: 40,
      baselineSeconds: 4,
      burstFactor: 3,
      burstSeconds: 5,
      scaleToZeroWaitS: 0,
    }
  : {
      capacityPerConsumer: 40,
      consumers: CONSUMERS.length,
      baselineRate: 40,
      baselineSeconds: 10,
      burstFactor: 3,
      burstSeconds: 10,
      scaleToZeroWaitS: 150,
    };
// Per spike run; it runs twice (fixed pace, then backlog-driven).
const spikeEvents =
  spikePlan.baselineRate * spikePlan.baselineSeconds +
  spikePlan.capacityPerConsumer *
    spikePlan.consumers *
    spikePlan.burstFactor *
    spikePlan.burstSeconds;
const totalEvents = plan.events + (runSpikeScenario ? 2 * spikeEvents : 0);

const bars = new MultiBar(
  {
    format:
      "{bar} {percentage}% | {value}/{total} events | {rate}/s | ETA {eta_formatted} | {stage}",
    hideCursor: true,
    etaBuffer: 200,
    noTTYOutput: true,
    notTTYSchedule: 15_000,
    fps: 5,
  },
  Presets.shades_classic,
);
const bar = bars.create(totalEvents, 0, { rate: 0, stage: "starting the platform" });
const log = (line: string) => bars.log(line + "\n");
let done = 0;
let lastRateAt = performance.now();
let lastRateDone = 0;
const progress = (stage: string) => (answered: number) => {
  const now = performance.now();
  if (now - lastRateAt >= 1000) {
    bar.update(done + answered, {
      rate: Math.round(((done + answered - lastRateDone) * 1000) / (now - lastRateAt)),
      stage,
    });
    lastRateAt = now;
    lastRateDone = done + answered;
  } else bar.update(done + answered, { stage });
};

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);

const ledgers = new Ledgers();
let rabbitmqVersion = "unknown";

async function withPlatform<T>(
  env: Record<string, string>,
  logName: string,
  body: (platform: BenchPlatform) => Promise<T>,
  root = ROOT,
): Promise<T> {
  const platform = await startBenchPlatform({
    root,
    amqpUrl,
    env,
    logFile: join(outDir, logName),
  });
  const exchange = (await platform.status()).brokers[0]!.exchange;
  const replies = await watchReplies(amqpUrl, exchange, EVENT_TYPES, ledgers.reply);
  rabbitmqVersion = replies.serverVersion;
  try {
    return await body(platform);
  } finally {
    await replies.close().catch(() => undefined);
    await platform.stop();
  }
}

function describeCell(r: CellResult): string {
  const p = r.plan;
  return `${p.warmup ? "warm-up " : ""}${p.mode} ${p.size} @ ratio ${p.ratio}${p.rate ? ` (${p.rate}/s)` : ""}: ${Math.round(r.load.acceptedPerSecond)} req/s accepted, p95 ${r.load.latencyMs.p95.toFixed(1)} ms, lost ${r.ledger.lost}, dup ${r.ledger.duplicates}, drain ${r.drainMs === null ? "timed out" : (r.drainMs / 1000).toFixed(1) + " s"}, peak depth ${r.peakQueueDepth}`;
}

/** The CPU figures of a cell, for its progress line. */
function describeCpu(r: CellResult): string {
  if (!r.cpu) return "";
  const { rows, totalUsPerEvent } = perEvent(r.cpu, r.ledger.processed);
  const parts = rows
    .filter((x) => x.cpuSeconds > 0)
    .map((x) => `${x.role} ${x.usPerEvent.toFixed(0)}`);
  const e2e = r.endToEnd ? `, end to end ${Math.round(r.endToEnd.processedPerSecond)}/s` : "";
  return `${e2e}; CPU µs/event: total ${totalUsPerEvent.toFixed(0)} (${parts.join(", ")})`;
}

const cells: CellResult[] = [];
const budgetTrials: BudgetTrialResult[] = [];
let spike: SpikeResult | null = null;
let coldStarts: ColdStartResult | null = null;
try {
  if (plan.budget) {
    // Issue 15's measurement: each trial on a platform of its own, this tree's and the baseline's
    // in turn; a warm-up (not measured) scales the consumers up and warms the JIT first.
    const stage = plan.budget;
    for (const trial of stage.trials) {
      const root = trial.tree === "baseline" ? (baselineRoot ?? ROOT) : ROOT;
      const name = `budget ${trial.tree === "baseline" ? "baseline " : ""}${trial.rep + 1}/${reps}`;
      const logName = `platform-budget-${trial.tree}-${trial.rep + 1}.log`;
      const result = await withPlatform(
        matrixEnv,
        logName,
        async (platform) => {
          await platform.setSampling(trial.ratio);
          const cell = (index: number, size: number, warmup: boolean): CellPlan => ({
            index,
            rep: trial.rep,
            size,
            ratio: trial.ratio,
            mode: "closed",
            connections: stage.connections,
            shape: "plain",
            ...(warmup ? { warmup } : {}),
          });
          const warm = cell(trial.warmupIndex, stage.warmupEvents, true);
          log(describeCell(await runCell(platform, ledgers, warm, progress(`${name}: warm-up`))));
          done += warm.size;
          bar.update(done, { stage: `${name}: idle ${stage.idleSeconds} s` });
          const idleSampler = cpuAvailable ? startCpuSampler(cpuRoots(platform)) : undefined;
          await sleep(stage.idleSeconds * 1000);
          const idle = idleSampler?.stop() ?? null;
          const measured = cell(trial.index, stage.events, false);
          const r = await runCell(platform, ledgers, measured, progress(name), {
            cpuRoots: cpuRoots(platform),
          });
          done += measured.size;
          log(`${name}: ${describeCell(r)}${describeCpu(r)}`);
          return { cell: r, idle };
        },
        root,
      );
      budgetTrials.push({ trial, root, commit: gitState(root).commit, ...result });
    }
  }

  if (plans.length)
    await withPlatform(matrixEnv, "platform-matrix.log", async (platform) => {
      let ratio: number | undefined;
      const run = async (plan: CellPlan) => {
        if (plan.ratio !== ratio) {
          bar.update(done, { stage: `sampling ${plan.ratio}` });
          await platform.setSampling(plan.ratio);
          ratio = plan.ratio;
        }
        const stage = `${plan.warmup ? "warm-up" : `trial ${plan.rep + 1}/${reps}`}: ${plan.size} @ ${plan.ratio}${plan.mode === "open" ? ` open ${plan.rate}/s` : ""}`;
        const result = await runCell(platform, ledgers, plan, progress(stage), {
          cpuRoots: plan.warmup ? [] : cpuRoots(platform),
        });
        done += plan.size;
        log(describeCell(result) + describeCpu(result));
        if (!plan.warmup) cells.push(result);
      };
      for (const plan of plans) await run(plan);

      if (plan.open) {
        // The same system at a fixed arrival rate: three quarters of what the closed loop sustained.
        const rate = openLoopRate(plan.open, cells);
        for (const c of plan.open.cells) await run({ ...c, rate });
      }
    });

  if (runSpikeScenario) {
    // Each consumer's cost set so that it handles about capacityPerConsumer events/s at its Trigger's parallelism.
    const manifests = loadManifests(["knative", "rabbitmq-eventing"].map((d) => join(ROOT, d)));
    const spikeEnv: Record<string, string> = {};
    for (const c of CONSUMERS) {
      const parallelism =
        manifests.triggers.find((t) => t.subscriber.ref?.name === c)?.parallelism ?? 1;
      spikeEnv[`LEVELER_${c.toUpperCase()}_WORK_MS`] = String(
        Math.round((parallelism * 1000) / spikePlan.capacityPerConsumer),
      );
      spikeEnv[`LEVELER_${c.toUpperCase()}_WORK_SHAPE`] = "io";
    }
    // Both ways in the same run: first at the fixed pace (every ScaledObject paused at one
    // replica), then backlog-driven as shipped; the report's spike section is the latter.
    const spikeOnce = (way: string, env: Record<string, string>) =>
      withPlatform(env, `platform-spike-${way}.log`, async (platform) => {
        await platform.setSampling(0);
        bar.update(done, { stage: `spike (${way}): waiting for consumers at zero` });
        const result = await runSpike(platform, ledgers, spikePlan, progress(`spike ${way}`));
        done += spikeEvents;
        log(
          `spike (${way}): peak depth ${result.peakDepth}, drained ${result.drainS ?? "-"} s after the burst, processing CoV ${percentOrDash(result.aggregate.cov1s)} (1 s), lost ${result.ledger.lost}, dup ${result.ledger.duplicates}`,
        );
        return result;
      });
    const fixedPace = fixedPaceManifests(ROOT);
    let spikeFixed: SpikeResult;
    try {
      spikeFixed = await spikeOnce("fixed", { ...spikeEnv, LEVELER_MANIFESTS: fixedPace.dirs });
    } finally {
      fixedPace.remove();
    }
    spike = await spikeOnce("backlog", spikeEnv);
    const comparison = compareSpikes(spikeFixed, spike);
    writeFileSync(join(outDir, "spike-both-ways.md"), comparison);
    writeFileSync(join(outDir, "spike-fixed.json"), JSON.stringify(spikeFixed, null, 1));
    log(comparison);
  }

  if (plan.coldStarts !== null) {
    // Last, on a platform of its own that scales to zero within seconds: one event at a time to
    // each consumer at zero replicas (lib/coldstart.ts, as bench:coldstart runs it).
    const runs = plan.coldStarts;
    const platform = await startBenchPlatform({
      root: ROOT,
      amqpUrl,
      env: coldStartEnv,
      logFile: join(outDir, "platform-coldstart.log"),
    });
    try {
      bar.update(done, { stage: "cold starts" });
      coldStarts = await measureColdStarts(platform, join(ROOT, "dist"), runs, (n, of) =>
        bar.update(done, { stage: `cold starts ${n}/${of}` }),
      );
    } finally {
      await platform.stop();
    }
    log(coldStartTable(coldStarts));
  }
} finally {
  bar.update(totalEvents, { stage: "writing the report" });
  bars.stop();
  clearInterval(rssTimer);
  await privateRabbit?.stop().catch(() => undefined);
}

// Late duplicates count too: every cell's ledger is read again now that everything has settled.
for (const c of [...cells, ...budgetTrials.map((t) => t.cell)])
  c.ledger = ledgers.get(`c${c.plan.index}-`)!.counts();
const budget = budgetTrials.length
  ? {
      plan: plan.budget!,
      cpuMeasured: cpuAvailable,
      rabbitmq:
        rabbitPid === null
          ? null
          : {
              pid: rabbitPid,
              private: !!privateRabbit,
              schedulers: rabbitSchedulers,
            },
      trials: budgetTrials,
      summary: summariseBudget(budgetTrials),
    }
  : null;
const summary = summarise(cells);
const verdicts = monitoringVerdicts(cells);
const results: BenchResults = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`,
  machine: {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    rabbitmq: rabbitmqVersion,
    os: `${type()} ${release()}`,
  },
  git,
  settings: { connections, reps, sizes, ratios, matrixWork, mode },
  cells,
  summary,
  verdicts,
  spike,
  budget,
  coldStarts,
  targets: [
    ...targets(summary, cells, [
      ...(spike ? [spike.ledger] : []),
      ...budgetTrials.map((t) => t.cell.ledger),
    ]),
    ...budgetTargets(
      budget?.summary.find((b) => b.tree === "current"),
      plan.budget?.ratio,
    ),
    ...monitoringTargets(summary, verdicts),
    ...coldStartTargets(coldStarts),
  ],
  benchPeakRssMb: peakRss / 2 ** 20,
  wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
};

writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 1));
await writeCharts(results);
writeFileSync(join(outDir, "report.md"), renderReport(results));
const latest = join(resultsRoot, "latest");
rmSync(latest, { force: true });
symlinkSync(stamp, latest);

console.log(`\n${renderReport(results).split("\n## Open loop")[0]}`);
console.log(`report: ${join(outDir, "report.md")}\n        bench/results/latest -> ${stamp}`);
process.exit(0);

async function writeCharts(r: BenchResults): Promise<void> {
  const closed = r.cells.filter((c) => c.plan.mode === "closed");
  if (closed.length) {
    const label = (ratio: number) => `leveler, ratio ${ratio}`;
    const trials = closed.map((c) => ({
      requests: c.plan.size,
      label: label(c.plan.ratio),
      value: c.load.acceptedPerSecond,
    }));
    const medians = r.summary
      .filter((s) => s.mode === "closed")
      .map((s) => ({ requests: s.size, label: label(s.ratio), value: s.acceptedPerSecond.median }));
    const old = Object.entries(OLD_SYSTEM)
      .filter(([size]) => sizes.includes(Number(size)))
      .flatMap(([size, o]) => [
        { requests: Number(size), label: "old system, off", value: o.off },
        { requests: Number(size), label: "old system, on", value: o.on },
      ]);
    writeFileSync(
      join(outDir, "throughput.svg"),
      await renderSvg(throughputChart(trials, [...medians, ...old])),
    );
  }
  if (r.spike) {
    const s = r.spike;
    const seconds = (t: number) => (t - s.origin) / 1000;
    const series = (
      pick: (sample: (typeof s.samples)[number]) => Record<string, number | null>,
    ): SeriesPoint[] =>
      s.samples.flatMap((sample) =>
        Object.entries(pick(sample)).map(([name, value]) => ({
          t: seconds(sample.t),
          series: name,
          value: value ?? 0,
        })),
      );
    const charts: [string, string, string, SeriesPoint[], boolean][] = [
      [
        "spike-ingress.svg",
        "Ingress: events per second (1 s means)",
        "events/s",
        perSecond(series((x) => ({ accepted: x.ingress.accepted, refused: x.ingress.refused }))),
        false,
      ],
      [
        "spike-processing.svg",
        "Each consumer's processing rate (1 s means)",
        "events/s",
        perSecond(series((x) => x.consumers)),
        false,
      ],
      [
        "spike-depth.svg",
        "Each Trigger's queue depth",
        "messages ready",
        series((x) => x.queues),
        false,
      ],
      [
        "spike-replicas.svg",
        "Each function's replicas",
        "replicas",
        series((x) => x.replicas),
        true,
      ],
    ];
    for (const [file, title, yTitle, points, step] of charts) {
      writeFileSync(
        join(outDir, file),
        await renderSvg(timeSeriesChart({ title, yTitle, points, burst: s.burst, step })),
      );
    }
  }
}

/** Rates sampled every 250 ms, as means over whole seconds: one second holds enough events to read a rate. */
function perSecond(points: readonly SeriesPoint[]): SeriesPoint[] {
  const buckets = new Map<string, { t: number; series: string; sum: number; n: number }>();
  for (const p of points) {
    const key = `${p.series}\u0000${Math.floor(p.t)}`;
    const b = buckets.get(key) ?? { t: Math.floor(p.t) + 0.5, series: p.series, sum: 0, n: 0 };
    b.sum += p.value;
    b.n++;
    buckets.set(key, b);
  }
  return [...buckets.values()].map((b) => ({ t: b.t, series: b.series, value: b.sum / b.n }));
}

function gitState(root = ROOT): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
        cwd: root,
        encoding: "utf8",
      }).trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}
