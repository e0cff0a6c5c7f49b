/**
 * Load leveling, shown: a quiet baseline, a burst at several times the consumers' capacity, quiet
 * again. The platform's timeline (250 ms samples) records the ingress rate, each consumer's
 * processing rate, each Trigger's queue depth and each function's replicas; from it come the
 * processing rate's steadiness while a backlog exists, the peak depth and the drain time.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments, stringify } from "yaml";
import { PAUSED_REPLICAS_ANNOTATION } from "../../platform/broker/scaled-object.js";
import type { TimelineSample } from "../../platform/status/timeline.js";
import type { Ledgers } from "./cells.js";
import type { LedgerCounts } from "./id-ledger.js";
import { openLoop, type LoadFigures } from "./load.js";
import type { BenchPlatform } from "./local-platform.js";
import { coefficientOfVariation, mean, regroup } from "./stats.js";

export interface SpikePlan {
  /** Events per second each consumer can process (set through WORK_MS and the Trigger's parallelism). */
  capacityPerConsumer: number;
  consumers: number;
  baselineRate: number;
  baselineSeconds: number;
  /** The burst's rate as a multiple of the consumers' total capacity. */
  burstFactor: number;
  burstSeconds: number;
  /** After draining, wait for the consumers to scale back to zero (up to this long). */
  scaleToZeroWaitS: number;
}

export interface ConsumerLeveling {
  /** Mean processing rate while its queue held a backlog. */
  meanRate: number;
  /** Coefficient of variation of the processing rate over 1 s windows while backlogged. */
  cov1s: number;
  /** The same over the platform's 250 ms samples (noisier: fewer events per sample). */
  cov250ms: number;
  backlogSeconds: number;
  peakDepth: number;
  /** From the burst's end until its queue was empty. */
  drainS: number | null;
  maxReplicas: number;
  /** From the burst's end until its consumer was at zero replicas again after draining. */
  backToZeroS: number | null;
}

export interface SpikeResult {
  plan: SpikePlan;
  /** Epoch ms the scenario started: time zero of its charts. */
  origin: number;
  phases: { name: string; load: LoadFigures }[];
  /** Seconds since the scenario started. */
  burst: { start: number; end: number };
  ledger: LedgerCounts;
  peakDepth: number;
  /** From the burst's end until every queue was empty. */
  drainS: number | null;
  /** Sum of the consumers' rates while any backlog existed, and how many whole 1 s windows that was. */
  aggregate: { meanRate: number; cov1s: number; windows1s: number };
  consumers: Record<string, ConsumerLeveling>;
  scaledToZeroS: number | null;
  samples: TimelineSample[];
}

export async function runSpike(
  platform: BenchPlatform,
  ledgers: Ledgers,
  plan: SpikePlan,
  onProgress: (answered: number) => void,
): Promise<SpikeResult> {
  const totalCapacity = plan.capacityPerConsumer * plan.consumers;
  const burstRate = Math.round(totalCapacity * plan.burstFactor);
  const baselineCount = Math.round(plan.baselineRate * plan.baselineSeconds);
  const burstCount = Math.round(burstRate * plan.burstSeconds);
  const quietChunk = plan.baselineRate; // one second of quiet at a time
  const size = baselineCount + burstCount + quietChunk * 600;
  const ledger = ledgers.create("spike-", size);
  let next = 0;
  let answeredBefore = 0;
  const phase = async (name: string, rate: number, count: number) => {
    const first = next;
    next += count;
    const load = await openLoop({
      url: `${platform.ingressUrl}/events`,
      first,
      count,
      rate,
      id: (n) => ledger.id(n),
      onSent: (n) => ledger.sent(n),
      onAnswer: (n, status) => ledger.answered(n, status),
      onProgress: (answered) => onProgress(answeredBefore + answered),
    });
    answeredBefore += count;
    return { name, load };
  };

  const started = Date.now();
  const phases = [await phase("baseline", plan.baselineRate, baselineCount)];
  const burstStart = Date.now();
  phases.push(await phase("burst", burstRate, burstCount));
  const burstEnd = Date.now();
  // Quiet again, at the baseline rate, until every queue is empty and every accepted event processed.
  const quiet: LoadFigures[] = [];
  for (;;) {
    quiet.push((await phase("quiet", plan.baselineRate, quietChunk)).load);
    const depth = Object.values(
      (await platform.timeline(Date.now() - 1000)).at(-1)?.queues ?? {},
    ).reduce<number>((a, b) => a + (b ?? 1), 0);
    if (
      (depth === 0 && ledger.acceptedProcessed >= ledger.accepted - plan.baselineRate) ||
      quiet.length >= 600
    )
      break;
  }
  phases.push({ name: "quiet", load: mergeLoads(quiet) });
  const drainDeadline = Date.now() + 30_000;
  while (ledger.acceptedProcessed < ledger.accepted && Date.now() < drainDeadline) await sleep(50);

  let scaledToZeroS: number | null = null;
  if (plan.scaleToZeroWaitS > 0) {
    const quietAt = Date.now();
    while (Date.now() - quietAt < plan.scaleToZeroWaitS * 1000) {
      const last = (await platform.timeline(Date.now() - 1000)).at(-1);
      if (
        last &&
        Object.entries(last.replicas).every(([name, n]) => name === "ingress" || n === 0)
      ) {
        scaledToZeroS = (Date.now() - quietAt) / 1000;
        break;
      }
      await sleep(500);
    }
  }
  await sleep(300);
  const samples = await platform.timeline(started);
  return {
    ...analyseSpike(samples, { started, burstStart, burstEnd }),
    plan,
    origin: started,
    phases,
    ledger: ledger.counts(),
    scaledToZeroS,
    samples,
  };
}

/** The figures of a spike from its timeline; pure, so it can be checked on synthetic samples. */
export function analyseSpike(
  samples: readonly TimelineSample[],
  times: { started: number; burstStart: number; burstEnd: number },
): Pick<SpikeResult, "burst" | "peakDepth" | "drainS" | "aggregate" | "consumers"> {
  const at = (t: number) => (t - times.started) / 1000;
  const afterBurst = samples.filter((s) => s.t >= times.burstStart);
  const total = (s: TimelineSample) =>
    Object.values(s.queues).reduce<number>((a, b) => a + (b ?? 0), 0);
  const drainedAt = (depth: (s: TimelineSample) => number) => {
    const i = afterBurst.findIndex((s) => s.t >= times.burstEnd && depth(s) === 0);
    return i < 0 ? null : Math.max(0, (afterBurst[i]!.t - times.burstEnd) / 1000);
  };
  const consumers: Record<string, ConsumerLeveling> = {};
  const names = Object.keys(samples[0]?.consumers ?? {});
  for (const name of names) {
    // A consumer's Trigger shares its name in leveler's manifests; fall back to any queue that does.
    const depth = (s: TimelineSample) => s.queues[name] ?? 0;
    const backlog = afterBurst.filter((s) => depth(s) > 0);
    const first = afterBurst.findIndex((s) => depth(s) > 0);
    const last = afterBurst.findLastIndex((s) => depth(s) > 0);
    const window =
      first < 0 ? [] : afterBurst.slice(first, last + 1).map((s) => s.consumers[name] ?? 0);
    const drainS = drainedAt(depth);
    const zero =
      drainS === null
        ? undefined
        : samples.find(
            (s) => s.t >= times.burstEnd + drainS * 1000 && (s.replicas[name] ?? 0) === 0,
          );
    consumers[name] = {
      meanRate: mean(window),
      cov1s: coefficientOfVariation(regroup(window, 4)),
      cov250ms: coefficientOfVariation(window),
      backlogSeconds: backlog.length ? (backlog.at(-1)!.t - backlog[0]!.t) / 1000 : 0,
      peakDepth: Math.max(0, ...afterBurst.map(depth)),
      drainS,
      maxReplicas: Math.max(0, ...samples.map((s) => s.replicas[name] ?? 0)),
      backToZeroS: zero ? (zero.t - times.burstEnd) / 1000 : null,
    };
  }
  const first = afterBurst.findIndex((s) => total(s) > 0);
  const last = afterBurst.findLastIndex((s) => total(s) > 0);
  const aggregateWindow =
    first < 0
      ? []
      : afterBurst
          .slice(first, last + 1)
          .map((s) => Object.values(s.consumers).reduce((a, b) => a + b, 0));
  const aggregate1s = regroup(aggregateWindow, 4);
  return {
    burst: { start: at(times.burstStart), end: at(times.burstEnd) },
    peakDepth: Math.max(0, ...samples.map(total)),
    drainS: drainedAt(total),
    aggregate: {
      meanRate: mean(aggregateWindow),
      cov1s: coefficientOfVariation(aggregate1s),
      windows1s: aggregate1s.length,
    },
    consumers,
  };
}

/** One figure for consecutive runs at one rate: summed counts, the worst of their percentiles. */
function mergeLoads(loads: readonly LoadFigures[]): LoadFigures {
  const statuses: Record<string, number> = {};
  for (const l of loads)
    for (const [k, v] of Object.entries(l.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const sum = (f: (l: LoadFigures) => number) => loads.reduce((a, l) => a + f(l), 0);
  const worst = (f: (l: LoadFigures) => number) => Math.max(...loads.map(f));
  const seconds = sum((l) => l.seconds);
  return {
    ...loads[0]!,
    requests: sum((l) => l.requests),
    accepted: sum((l) => l.accepted),
    statuses,
    errors: sum((l) => l.errors),
    seconds,
    acceptedPerSecond: sum((l) => l.accepted) / seconds,
    latencyMs: {
      p50: worst((l) => l.latencyMs.p50),
      p95: worst((l) => l.latencyMs.p95),
      p99: worst((l) => l.latencyMs.p99),
      max: worst((l) => l.latencyMs.max),
    },
  };
}

/**
 * The manifests as a temporary copy with every dispatcher's ScaledObject paused at one replica:
 * the fixed pace, the same Services (same max-scale) and Triggers. `dirs` is for LEVELER_MANIFESTS.
 */
export function fixedPaceManifests(root: string): { dirs: string; remove(): void } {
  const work = mkdtempSync(join(tmpdir(), "leveler-fixed-pace-"));
  const dirs = ["knative", "rabbitmq-eventing"].map((d) => {
    cpSync(join(root, d), join(work, d), { recursive: true });
    return join(work, d);
  });
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? files(join(dir, e.name))
        : /\.ya?ml$/.test(e.name)
          ? [join(dir, e.name)]
          : [],
    );
  for (const file of dirs.flatMap(files)) {
    const text = readFileSync(file, "utf8");
    if (!text.includes("kind: ScaledObject")) continue;
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    for (const doc of docs) {
      if (doc?.kind !== "ScaledObject") continue;
      const meta = doc.metadata as { annotations?: Record<string, string> };
      meta.annotations = { ...meta.annotations, [PAUSED_REPLICAS_ANNOTATION]: "1" };
    }
    writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
  }
  return { dirs: dirs.join(","), remove: () => rmSync(work, { recursive: true, force: true }) };
}

export interface SpikeComparisonRow {
  consumer: string;
  way: "fixed pace" | "backlog-driven";
  peakBacklog: number;
  drainS: number | null;
  replicasReached: number;
  backToZeroS: number | null;
}

/** Per consumer, both ways side by side; lost and duplicates are per run (the ledger is per run). */
export function compareSpikes(fixed: SpikeResult, backlog: SpikeResult): string {
  const rows: SpikeComparisonRow[] = [];
  for (const consumer of Object.keys(backlog.consumers))
    for (const [way, run] of [
      ["fixed pace", fixed],
      ["backlog-driven", backlog],
    ] as const) {
      const c = run.consumers[consumer];
      if (!c) continue;
      rows.push({
        consumer,
        way,
        peakBacklog: c.peakDepth,
        drainS: c.drainS,
        replicasReached: c.maxReplicas,
        backToZeroS: c.backToZeroS,
      });
    }
  const s = (n: number | null) => (n === null ? "-" : n.toFixed(1));
  const ratio = (consumer: string) => {
    const f = fixed.consumers[consumer]?.drainS;
    const b = backlog.consumers[consumer]?.drainS;
    return f && b ? `${(f / b).toFixed(1)}×` : "-";
  };
  const table = rows.map(
    (r) =>
      `| ${r.consumer} | ${r.way} | ${r.peakBacklog} | ${s(r.drainS)} | ${r.way === "backlog-driven" ? ratio(r.consumer) : ""} | ${r.replicasReached} | ${s(r.backToZeroS)} |`,
  );
  const ledger = (name: string, r: SpikeResult) =>
    `${name}: ${r.ledger.accepted} accepted, ${r.ledger.lost} lost, ${r.ledger.duplicates} duplicates; all queues drained ${s(r.drainS)} s after the burst`;
  return [
    "## The spike both ways: fixed pace and backlog-driven delivery",
    "",
    "The same burst, the same Services (same max-scale); fixed pace = every dispatcher's",
    `ScaledObject annotated \`${PAUSED_REPLICAS_ANNOTATION}: "1"\`. Times are seconds after the burst ended.`,
    "",
    "| consumer | way | peak backlog | drain s | faster | replicas reached | back to zero s |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...table,
    "",
    `- ${ledger("fixed pace", fixed)}`,
    `- ${ledger("backlog-driven", backlog)}`,
    "",
  ].join("\n");
}
