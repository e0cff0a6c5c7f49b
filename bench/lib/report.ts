/** The Markdown report: what was run, on what, the table, the verdicts, the spike, the targets. */
import { compareBudgets, type BudgetSummary } from "./budget.js";
import type { CellSummary, MonitoringVerdict, Target } from "./summary.js";
import type { SpikeResult } from "./spike.js";
import { coldStartTable } from "./coldstart-summary.js";
import type { BenchResults } from "./results.js";

/** The old Python/FastAPI system's figures (../shared/seeds/DIGEST.md): single runs, monitoring off / on. */
export const OLD_SYSTEM: Record<number, { off: number; on: number }> = {
  5000: { off: 1169, on: 1029 },
  10000: { off: 1301, on: 1372 },
  20000: { off: 1273, on: 1334 },
  50000: { off: 1261, on: 1352 },
};

const n0 = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 0 });
const n1 = (v: number) =>
  v.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
/** A coefficient of variation (or any ratio) as a percentage with one decimal; "-" for NaN. */
export const percentOrDash = (ratio: number) =>
  Number.isNaN(ratio) ? "-" : `${(ratio * 100).toFixed(1)}%`;
const pct = (v: number) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;
const ratioName = (r: number) => (r === 0 ? "off (0)" : r === 1 ? "on (1.0)" : `sampled (${r})`);

function cellTable(rows: readonly CellSummary[]): string {
  const head =
    "| requests | monitoring | mode | trials | accepted req/s median [min–max] | end to end events/s median [min–max] | CPU µs/event | p50 / p95 / p99 ms | success | lost | dup. | drain s | peak depth |\n|---:|---|---|---:|---|---|---:|---|---:|---:|---:|---:|---:|";
  const lines = rows.map((s) => {
    const mode = s.mode === "closed" ? "closed" : `open @ ${n0(s.targetRate ?? 0)}/s`;
    const a = s.acceptedPerSecond;
    const e = s.endToEndPerSecond;
    return `| ${n0(s.size)} | ${ratioName(s.ratio)} | ${mode} | ${s.trials} | ${n0(a.median)} [${n0(a.min)}–${n0(a.max)}] | ${e ? `${n0(e.median)} [${n0(e.min)}–${n0(e.max)}]` : "-"} | ${s.cpuUsPerEvent === null ? "-" : n0(s.cpuUsPerEvent)} | ${n1(s.latencyMs.p50)} / ${n1(s.latencyMs.p95)} / ${n1(s.latencyMs.p99)} | ${(s.successRate * 100).toFixed(2)}% | ${s.lost} | ${s.duplicates} | ${s.drainMs === null ? "timed out" : n1(s.drainMs / 1000)} | ${n0(s.peakQueueDepth)} |`;
  });
  return [head, ...lines].join("\n");
}

function verdictTable(
  verdicts: readonly MonitoringVerdict[],
  summary: readonly CellSummary[],
): string {
  const head =
    "| requests | mode | off req/s | on req/s | on vs off | noise | verdict | sampled vs off | verdict | old system off / on (change) |\n|---:|---|---:|---:|---:|---:|---|---:|---|---|";
  const lines = verdicts.map((v) => {
    const get = (ratio: number) =>
      summary.find((s) => s.mode === v.mode && s.size === v.size && s.ratio === ratio)
        ?.acceptedPerSecond.median;
    const old = OLD_SYSTEM[v.size];
    const say = (x: MonitoringVerdict["on"]) =>
      x
        ? x.differs
          ? x.change > 0
            ? "**faster, beyond noise**"
            : "**slower, beyond noise**"
          : "within noise"
        : "-";
    return `| ${n0(v.size)} | ${v.mode} | ${get(0) === undefined ? "-" : n0(get(0)!)} | ${get(1) === undefined ? "-" : n0(get(1)!)} | ${v.on ? pct(v.on.change) : "-"} | ${v.on ? `±${(v.on.noise * 100).toFixed(1)}%` : "-"} | ${say(v.on)} | ${v.sampled ? pct(v.sampled.change) : "-"} | ${say(v.sampled)} | ${old ? `${n0(old.off)} / ${n0(old.on)} (${pct((old.on - old.off) / old.off)}), single runs` : "-"} |`;
  });
  return [head, ...lines].join("\n");
}

function spikeSection(spike: SpikeResult): string {
  const p = spike.plan;
  const consumers = Object.entries(spike.consumers)
    .map(
      ([name, c]) =>
        `| ${name} | ${n0(c.meanRate)} | ${percentOrDash(c.cov1s)} | ${percentOrDash(c.cov250ms)} | ${n1(c.backlogSeconds)} | ${n0(c.peakDepth)} | ${c.drainS === null ? "-" : n1(c.drainS)} | ${c.maxReplicas} |`,
    )
    .join("\n");
  const phases = spike.phases
    .map(
      (ph) =>
        `| ${ph.name} | ${n0(ph.load.targetRate ?? 0)} | ${n0(ph.load.requests)} | ${n0(ph.load.accepted)} | ${n1(ph.load.latencyMs.p50)} / ${n1(ph.load.latencyMs.p95)} / ${n1(ph.load.latencyMs.p99)} |`,
    )
    .join("\n");
  return `## Load leveling: the spike (open loop)

Consumers set to about ${n0(p.capacityPerConsumer)} events/s each (I/O-shaped \`WORK_MS\` = Trigger parallelism × 1000 / ${p.capacityPerConsumer}); ${p.baselineSeconds} s at ${n0(p.baselineRate)}/s, then a ${p.burstSeconds} s burst at ${p.burstFactor}× the consumers' total capacity, then quiet at ${n0(p.baselineRate)}/s until the queues are empty. Timeline sampled every 250 ms by the platform.

| phase | target rate/s | sent | accepted | p50 / p95 / p99 ms (from scheduled send) |
|---|---:|---:|---:|---|
${phases}

- Peak queue depth (all Triggers): **${n0(spike.peakDepth)}**; backlog drained **${spike.drainS === null ? "not within the run" : n1(spike.drainS) + " s"}** after the burst ended.
- Consumers' total processing rate while a backlog existed: mean **${n0(spike.aggregate.meanRate)}/s**, coefficient of variation **${percentOrDash(spike.aggregate.cov1s)}** over ${spike.aggregate.windows1s} whole 1 s window(s) (the old system claimed < 10%; "-" when there were fewer than two).
- Events: ${spike.ledger.accepted} accepted, ${spike.ledger.processed} processed, **${spike.ledger.lost} lost**, **${spike.ledger.duplicates} duplicates**, ${spike.ledger.refused} refused.
- Scaled back to zero: ${spike.scaledToZeroS === null ? "not waited for / not within the wait" : n1(spike.scaledToZeroS) + " s after the traffic stopped"}.

| consumer | mean rate while backlogged /s | CoV (1 s) | CoV (250 ms) | backlog s | peak depth | drained s after burst | max replicas |
|---|---:|---:|---:|---:|---:|---:|---:|
${consumers}

![ingress rate](spike-ingress.svg)
![processing rate](spike-processing.svg)
![queue depth](spike-depth.svg)
![replicas](spike-replicas.svg)
`;
}

const small = (v: number) => (Math.abs(v) < 100 ? n1(v) : n0(v));
const spreadText = (
  x: { median: number; min: number; max: number } | null | undefined,
  n: (v: number) => string = n0,
) => (x ? `${n(x.median)} [${n(x.min)}–${n(x.max)}]` : "-");

function budgetTable(b: BudgetSummary): string {
  const rows = (b.roles ?? [])
    .filter((r) => r.processes > 0 || r.usPerEvent > 0)
    .map(
      (r) =>
        `| ${r.role} | ${r.processes} | ${n0(r.usPerEvent)} µs | ${r.switchesPerEvent === null ? "-" : n1(r.switchesPerEvent)} | ${r.ioCallsPerEvent === null ? "-" : n1(r.ioCallsPerEvent)} | ${r.idleMsPerSecond === null ? "-" : n1(r.idleMsPerSecond)} |`,
    );
  const idle = (b.roles ?? []).reduce((a, r) => a + (r.idleMsPerSecond ?? 0), 0);
  return [
    "| process | processes | CPU per event (median) | context switches per event | read/write calls per event | no traffic, still watched: ms of CPU per second |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
    `| **total, load generator excluded** | | **${spreadText(b.totalUsPerEvent)} µs** | | ${spreadText(b.ioCallsPerEvent, n1)} | ${n1(idle)} |`,
  ].join("\n");
}

function budgetSection(budget: NonNullable<BenchResults["budget"]>): string {
  const p = budget.plan;
  // Named only where the two sides differ (--baseline-ratio): then the ratio is the comparison.
  const atRatio = (b: BudgetSummary) =>
    p.baselineRatio !== undefined && p.baselineRatio !== p.ratio
      ? ` (sampler ratio ${b.ratio})`
      : "";
  const current = budget.summary.find((s) => s.tree === "current");
  const baseline = budget.summary.find((s) => s.tree === "baseline");
  const figures = (b: BudgetSummary) =>
    `- Accepted **${spreadText(b.acceptedPerSecond)} req/s**; processed end to end (first request sent to last event processed) **${spreadText(b.endToEndPerSecond)} events/s**; p95 accept latency ${n1(b.p95Ms)} ms; **${b.lost} lost**, **${b.duplicates} duplicates** (${b.trials} trial${b.trials === 1 ? "" : "s"}, median [min–max]).${b.switchesPerEvent ? `\n- Context switches per processed event, whole machine (every process and thread, the load generator's too): ${spreadText(b.switchesPerEvent, n1)}.` : ""}`;
  const tree = (b: BudgetSummary) =>
    `### ${b.tree === "current" ? "This tree" : "Baseline"}: \`${b.root}\` at \`${b.commit.slice(0, 12)}\`${atRatio(b)}\n\n${b.roles ? budgetTable(b) : "_CPU not measured: no /proc on this system._"}\n\n${figures(b)}`;
  const rabbit = budget.rabbitmq
    ? `RabbitMQ is pid ${budget.rabbitmq.pid} (beam.smp and its children), ${budget.rabbitmq.private ? "a node of the benchmark's own" : "the machine's shared node: whatever else uses it at the time counts in its figure"}${typeof budget.rabbitmq.schedulers === "number" ? `, running ${budget.rabbitmq.schedulers} Erlang scheduler${budget.rabbitmq.schedulers === 1 ? "" : "s"}` : ""}`
    : "RabbitMQ's process was not found on this machine: its CPU is **not** in the total";
  const comparison =
    current && baseline
      ? `\n### This tree${atRatio(current)} against the baseline${atRatio(baseline)}: same run, trials interleaved\n\n| figure | this tree | baseline | this ÷ baseline |\n|---|---:|---:|---:|\n${compareBudgets(
          current,
          baseline,
        )
          .map(
            // Small figures (context switches per event) need their decimal to compare.
            (r) =>
              `| ${r.figure} | ${small(r.current)} | ${small(r.baseline)} | ${r.ratio.toFixed(2)} |`,
          )
          .join("\n")}\n`
      : "";
  return `## The budget: CPU per processed event, every process

As issue 15 measures it: every consumer I/O-shaped at \`WORK_MS=1\`; ${n0(p.events)} plain-JSON POSTs (\`/events/<type>\`, the four types in turn) from ${p.connections} connections; sampler ratio ${p.ratio}${p.baselineRatio !== undefined && p.baselineRatio !== p.ratio ? ` (the baseline's trials ${p.baselineRatio})` : ""}; each trial on a platform started for it, after a warm-up of ${n0(p.warmupEvents)} events that is not measured. CPU is read from \`/proc/<pid>/stat\` (utime + stime, in clock ticks of 10 ms) for every process of the platform's tree and RabbitMQ's, every 100 ms from the first request until the last event is processed: a process started meanwhile counts from its birth, one that exits up to its last reading, and what it spent after that comes from the cutime + cstime its parent gained by reaping it ("exited between samples"). ${rabbit}. The load generator (the benchmark itself, which also watches the replies) is not counted. Per-role figures are medians over the trials, so they need not add up to the median total. The last column is the same processes read for ${p.idleSeconds} s with no traffic, after the warm-up: a cost per second, which weighs more per event the lower the rate (at R events/s it adds it ÷ R to each). It is not what an idle platform costs: the benchmark is still watching then (its status and timeline reads keep the timeline sampling every 250 ms), and the replicas the warm-up scaled out are running, some of them still starting; a platform left alone and unwatched costs less. Context switches are the machine's (\`ctxt\` in \`/proc/stat\`, every process and thread, the load generator's too) over the same stretch, per processed event: each is a process or thread going to sleep or being preempted, and on a virtual machine waking one can cost more CPU than the work it wakes for, so fewer, fuller wake-ups per event is a lever of its own. The table's switches are each role's processes' own (all their threads, read from \`/proc/<pid>/task/*/status\` every second and at the stretch's ends; a process that exits counts up to its last such reading, and a thread that ends takes its count with it). Read/write calls are each role's processes' \`syscr\` + \`syscw\` from \`/proc/<pid>/io\` over the same stretch, per processed event: the read(2) and write(2) families (readv, writev included), which is how Node moves every byte of a socket; recv(2)/send(2) are not counted there, and RabbitMQ reads its sockets with recv, so its figure is mostly its writes. They are counts, not times, so they do not drift with the machine: on this VM a write to a loopback socket also runs the receiving side of TCP, and each hop an event takes through a process costs it at least a read and a write.

${budget.summary.map(tree).join("\n\n")}
${comparison}`;
}

function headline(r: BenchResults): string {
  const b = r.budget?.summary.find((s) => s.tree === "current");
  if (b)
    return `**Headline (budget stage, ${n0(b.events)} events at ${r.budget!.plan.connections} connections):** end to end **${spreadText(b.endToEndPerSecond)} events/s** (first request sent to last event processed) · accepted ${spreadText(b.acceptedPerSecond)} req/s · CPU **${spreadText(b.totalUsPerEvent)} µs per event**, every process but the load generator.`;
  const c = r.summary.find((s) => s.mode === "closed" && s.ratio === 0);
  return c
    ? `**Headline (${n0(c.size)} requests, monitoring off):** end to end **${spreadText(c.endToEndPerSecond)} events/s** · accepted ${spreadText(c.acceptedPerSecond)} req/s · CPU ${c.cpuUsPerEvent === null ? "-" : n0(c.cpuUsPerEvent)} µs per event.`
    : "";
}

export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const closed = r.summary.filter((s) => s.mode === "closed");
  const open = r.summary.filter((s) => s.mode === "open");
  const targets = (ts: readonly Target[]) =>
    [
      "| target | wanted | measured | met |",
      "|---|---|---|---|",
      ...ts.map(
        (t) =>
          `| ${t.name} | ${t.target} | ${t.measured} | ${t.met === null ? "-" : t.met ? "yes" : "**no**"} |`,
      ),
    ].join("\n");
  return `# leveler benchmark — ${r.startedAt}

\`${r.command}\` · commit \`${r.git.commit.slice(0, 12)}\`${r.git.dirty ? " (with uncommitted changes)" : ""}

${headline(r)}

**Machine:** ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, RabbitMQ ${m.rabbitmq}, ${m.os}. The load generator runs on the same machine as RabbitMQ and every function.

**Method.** The benchmark starts the local platform itself (\`dist/platform/main.js\`, as \`npm start\` does) with its own RabbitMQ exchanges and quorum queues, and drives it from outside: HTTP to the ingress, \`leveler sampling\` to switch monitoring, \`/api/status\` and \`/api/timeline\` to watch. Every request is one binary-mode CloudEvent with its own id (the four event types take turns); the consumers' replies on the Broker's exchange are counted id by id, so **lost** = answered 202 but never processed and **duplicates** = executed more than once, counted after the queues drain. Trials are interleaved (each repetition runs every size, with the order of the ratios rotated) so drift hits every cell alike. Consumers in the matrix: ${r.settings.matrixWork}. Closed loop: ${r.settings.connections} connections, each sending its next request when the last one answered. Open loop: requests leave on a fixed schedule whether or not earlier ones answered; latency from the scheduled time (no coordinated omission).

## Targets
${targets(r.targets)}

${r.budget ? budgetSection(r.budget) : "## The budget: CPU per processed event\n_not run_"}

## The old table, on leveler (closed loop)
${closed.length ? cellTable(closed) : "_not run_"}

## Monitoring: on vs off, beyond the noise?
A difference is claimed only when every trial of one cell lies beyond every trial of the other and the medians differ by more than the larger of the two cells' ranges (the noise).

${r.verdicts.length ? verdictTable(r.verdicts, r.summary) : "_not run_"}

${closed.length ? "![throughput](throughput.svg)\n" : ""}
## Open loop (fixed arrival rate)
${open.length ? cellTable(open) : "_not run_"}

${r.spike ? spikeSection(r.spike) : "## Load leveling: the spike\n_not run_"}

## Cold starts
${r.coldStarts ? `Each consumer at zero replicas gets one event through the ingress, one cold start at a time, on a platform of its own that scales to zero within seconds; the time is from the POST to the consumer's reply arriving in the broker (${r.coldStarts.runs} per consumer). The replica's CPU is read when its reply arrives; idle RSS is one replica's before the first cold start, and the anonymous part of it is its own (the rest is the node binary's file pages, shared by every Node process).\n\n${coldStartTable(r.coldStarts)}` : "_not run_"}

Bench process peak RSS: ${n0(r.benchPeakRssMb)} MB. Total wall time: ${n0(r.wallSeconds)} s.
`;
}
