/**
 * One slow consumer, one burst, both ways in the same run: the order consumer's work set to 20 ms,
 * I/O-shaped, then `--events` order events sent at `--concurrency` in flight; first at the fixed
 * pace (its dispatcher's ScaledObject paused at one replica), then backlog-driven as shipped,
 * alternating `--reps` times. Per run: peak backlog, drain time after the last 202, the order
 * consumer's and its dispatcher's most replicas, seconds back to zero, accepted and processed.
 * The default burst (12,000 events, ~30 s of backlog at the fixed pace) outlasts the HPA's first
 * sync: the dispatcher's scaling is decided every 15 s, here as on a cluster, so a backlog gone
 * sooner drains at the fixed pace either way (3,000 events: 8.7 and 8.9 s).
 *
 *   npm run bench:burst -- --events 12000 --concurrency 40 --reps 2
 *
 * Everything is read from outside: the ingress over HTTP and `/api/status` every 200 ms.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { sampleData } from "../functions/events/samples.js";
import { startBenchPlatform, type BenchPlatform } from "./lib/local-platform.js";
import { fixedPaceManifests } from "./lib/spike.js";
import { readFlags } from "./lib/flags.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TYPE = "com.example.order.created";
const flags = readFlags("npm run bench:burst", {
  events: { type: "string", default: "12000" },
  concurrency: { type: "string", default: "40" },
  reps: { type: "string", default: "1" },
  "work-ms": { type: "string", default: "20" },
});
const count = positive(flags.events, "events");
const concurrency = positive(flags.concurrency, "concurrency");
const reps = positive(flags.reps, "reps");
const workMs = positive(flags["work-ms"], "work-ms");
const amqpUrl = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

interface Run {
  way: "fixed" | "backlog";
  accepted: number;
  processed: number;
  peakBacklog: number;
  /** Seconds from the last 202 until the queue is empty and every accepted event processed. */
  drainS: number | null;
  /** Seconds from the first request until then. */
  totalS: number | null;
  consumerReplicas: number;
  dispatcherBound: number;
  /** Seconds from the drain until the order consumer is back at zero (within the wait). */
  backToZeroS: number | null;
}

const outDir = join(
  ROOT,
  "bench",
  "results",
  `burst-${new Date().toISOString().replace(/[:.]/g, "-")}`,
);
mkdirSync(outDir, { recursive: true });
const env = { LEVELER_ORDER_WORK_MS: String(workMs), LEVELER_ORDER_WORK_SHAPE: "io" };
const runs: Run[] = [];
for (let rep = 0; rep < reps; rep++) {
  // The order alternates each repetition, so drift hits both ways alike.
  const ways: Run["way"][] = rep % 2 === 0 ? ["fixed", "backlog"] : ["backlog", "fixed"];
  for (const way of ways) {
    const fixed = way === "fixed" ? fixedPaceManifests(ROOT) : undefined;
    const platform = await startBenchPlatform({
      root: ROOT,
      amqpUrl,
      env: { ...env, ...(fixed ? { LEVELER_MANIFESTS: fixed.dirs } : {}) },
      logFile: join(outDir, `platform-${way}-${rep + 1}.log`),
    });
    try {
      const run = await burst(platform, way);
      runs.push(run);
      console.log(
        `${way.padEnd(7)} rep ${rep + 1}: ${run.accepted} accepted, ${run.processed} processed, peak backlog ${run.peakBacklog}, drained ${fmt(run.drainS)} s after the last 202, order replicas ${run.consumerReplicas}, in-flight bound ${run.dispatcherBound}, back to zero ${fmt(run.backToZeroS)} s`,
      );
    } finally {
      await platform.stop();
      fixed?.remove();
    }
  }
}
const report = table(runs);
writeFileSync(join(outDir, "burst.md"), report);
writeFileSync(
  join(outDir, "burst.json"),
  JSON.stringify({ count, concurrency, workMs, runs }, null, 1),
);
console.log(`\n${report}\nwritten to ${outDir}`);

async function burst(platform: BenchPlatform, way: Run["way"]): Promise<Run> {
  await untilOrderAtZero(platform, 120_000);
  const before = await orderCounts(platform);
  let peakBacklog = 0;
  let consumerReplicas = 0;
  let dispatcherBound = 0;
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const s = await platform.status().catch(() => undefined);
      if (s) {
        const t = s.triggers.find((x) => x.name === "order");
        peakBacklog = Math.max(peakBacklog, t?.queueDepth ?? 0);
        dispatcherBound = Math.max(dispatcherBound, Number(t?.dispatcher.inFlightBound ?? 0));
        const f = s.functions.find((x) => x.name === "order");
        consumerReplicas = Math.max(consumerReplicas, f?.replicas ?? 0);
      }
      await sleep(200);
    }
  })();

  const started = performance.now();
  let next = 0;
  let accepted = 0;
  const url = `${platform.ingressUrl}/events/${TYPE}`;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(sampleData(TYPE, `burst-${way}`, n)),
        });
        await response.arrayBuffer();
        if (response.status === 202) accepted++;
      }
    }),
  );
  const sent = performance.now();

  let drainS: number | null = null;
  let processed = 0;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const counts = await orderCounts(platform);
    processed = counts.processed - before.processed;
    if (processed >= accepted && counts.depth === 0) {
      drainS = (performance.now() - sent) / 1000;
      break;
    }
    await sleep(100);
  }
  const drained = performance.now();
  const zero = drainS === null ? false : await untilOrderAtZero(platform, 180_000);
  watching = false;
  await watch;
  return {
    way,
    accepted,
    processed,
    peakBacklog,
    drainS,
    totalS: drainS === null ? null : (drained - started) / 1000,
    consumerReplicas,
    dispatcherBound,
    backToZeroS: zero ? (performance.now() - drained) / 1000 : null,
  };
}

async function orderCounts(platform: BenchPlatform) {
  const s = await platform.status();
  return {
    processed: s.events.byType[TYPE]?.processed ?? 0,
    depth: s.triggers.find((t) => t.name === "order")?.queueDepth ?? 0,
  };
}

async function untilOrderAtZero(platform: BenchPlatform, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const s = await platform.status().catch(() => undefined);
    if (s?.functions.find((f) => f.name === "order")?.replicas === 0) return true;
    await sleep(250);
  }
  return false;
}

function table(all: Run[]): string {
  const median = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    return v.length ? v[Math.floor((v.length - 1) / 2)]! : null;
  };
  const lines = [
    `${count} order events at ${concurrency} in flight; order consumer ${workMs} ms I/O-shaped work.`,
    "",
    "| way | rep | accepted | processed | peak backlog | drain s after last 202 | first request to drained s | order replicas | in-flight bound | back to zero s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...all.map(
      (r, i) =>
        `| ${r.way} | ${Math.floor(i / 2) + 1} | ${r.accepted} | ${r.processed} | ${r.peakBacklog} | ${fmt(r.drainS)} | ${fmt(r.totalS)} | ${r.consumerReplicas} | ${r.dispatcherBound} | ${fmt(r.backToZeroS)} |`,
    ),
  ];
  const f = median(all.filter((r) => r.way === "fixed").map((r) => r.drainS));
  const b = median(all.filter((r) => r.way === "backlog").map((r) => r.drainS));
  if (f !== null && b !== null && b > 0)
    lines.push(
      "",
      `Median drain after the last 202: fixed ${fmt(f)} s, backlog-driven ${fmt(b)} s: **${(f / b).toFixed(1)}×** faster.`,
    );
  return lines.join("\n") + "\n";
}

function fmt(x: number | null): string {
  return x === null ? "-" : x.toFixed(1);
}

function positive(text: string | undefined, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, not ${text}`);
    process.exit(2);
  }
  return n;
}
