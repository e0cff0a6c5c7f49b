/**
 * `npm run bench:telemetry`: what tracing costs the ingress, at sampler ratios 0, 0.01, 0.1 and
 * 1.0, and whether "monitoring makes it faster" (the old system's claim) survives a measurement.
 *
 * One ingress process publishes into the real topology (as in bench:ingress) with the local
 * default exporter (batched JSON lines), so sampled spans are recorded, serialised and written as
 * they would be in a run. The ratio is switched live through the watched config file between
 * runs, in an order rotated per trial so no ratio always runs first or last (warm-up, queue
 * growth and machine noise spread over all of them). Queues are purged after every run. A
 * difference is only called a cost (or a gain) when the ratio's runs and the baseline's do not
 * overlap; otherwise the table says it is within the spread.
 *
 * Flags: --duration <s> per run (default 10), --trials <n> (default 3), --connections <n> (50),
 * --ratios <list> (default 0,0.01,0.1,1).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseRatio, writeSamplingSwitchFile } from "../lib/runtime/sampling-switch.js";
import { readPlatformConfig } from "../platform/config.js";
import { benchTopology, startBenchIngress } from "./lib/topology.js";
import { freePort } from "../platform/ports.js";
import { scrapeSamplerRatio } from "../platform/telemetry/sampler-status.js";
import {
  fmt,
  load,
  machine,
  median,
  stopProcess,
  waitHttp,
  type LoadResult,
} from "./lib/process.js";
import { readFlags } from "./lib/flags.js";

const values = readFlags("npm run bench:telemetry", {
  duration: { type: "string", default: "10" },
  trials: { type: "string", default: "3" },
  connections: { type: "string", default: "50" },
  ratios: { type: "string", default: "0,0.01,0.1,1" },
});
const durationS = Number(values.duration);
const trials = Math.max(1, Number(values.trials));
const connections = Number(values.connections);
const ratios = values.ratios.split(",").map((r) => parseRatio(r));
if (!ratios.includes(0)) ratios.unshift(0); // the baseline every cost is relative to

const config = readPlatformConfig();
const topology = await benchTopology(config);
const { purge } = topology;

const work = mkdtempSync(join(tmpdir(), "leveler-bench-telemetry-"));
const configFile = join(work, "config.yaml");
const tracesDir = join(work, "traces");
writeSamplingSwitchFile(configFile, { samplerRatio: 0 });
const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
const ingress = startBenchIngress(
  config,
  topology,
  { port, metricsPort },
  { LEVELER_TELEMETRY_CONFIG: configFile, LEVELER_TRACES_DIR: tracesDir },
);

const body = JSON.stringify({
  orderId: "o-1",
  currency: "EUR",
  items: [{ sku: "A", quantity: 2, unitPrice: 9.5 }],
});
const url = `http://127.0.0.1:${port}/events/com.example.order.created`;
const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;

/** Switches the ratio and waits until the ingress reports applying it. */
async function setRatio(ratio: number): Promise<void> {
  writeSamplingSwitchFile(configFile, { samplerRatio: ratio });
  const deadline = Date.now() + 10_000;
  while ((await scrapeSamplerRatio(metricsUrl)) !== ratio) {
    if (Date.now() > deadline)
      throw new Error(`the ingress did not apply ratio ${ratio} within 10 s`);
    await sleep(20);
  }
}

/** The ingress's CPU so far (utime + stime), in ms: per request it holds where req/s does not. */
function ingressCpuMs(): number {
  const fields = readFileSync(`/proc/${ingress.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function tracesBytes(): number {
  try {
    return readdirSync(tracesDir).reduce((sum, f) => sum + statSync(join(tracesDir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** Empties the traces directory; the exporter opens its file per write, so it starts a new one. */
function clearTraces(): void {
  mkdirSync(tracesDir, { recursive: true });
  for (const f of readdirSync(tracesDir, { withFileTypes: true }))
    rmSync(join(tracesDir, f.name), { force: true });
}

try {
  await waitHttp(`http://127.0.0.1:${port}/health/readiness`);
  console.log(
    `machine: ${machine()}; ${connections} connections, ${durationS} s per run, ${trials} trials per ratio, load generator on the same machine\n`,
  );
  await load({ url, body, contentType: "application/json", connections, durationS: 3 });
  await purge();

  const runs = new Map<number, LoadResult[]>(ratios.map((r) => [r, []]));
  const spanBytes = new Map<number, number[]>(ratios.map((r) => [r, []]));
  const cpuPerRequest = new Map<number, number[]>(ratios.map((r) => [r, []]));
  for (let trial = 0; trial < trials; trial++) {
    // Rotate the order: trial 0 runs 0, 0.01, 0.1, 1; trial 1 runs 0.01, 0.1, 1, 0; ...
    const order = ratios.map((_, i) => ratios[(i + trial) % ratios.length]!);
    for (const ratio of order) {
      await setRatio(ratio);
      clearTraces();
      const cpuBefore = ingressCpuMs();
      const r = await load({ url, body, contentType: "application/json", connections, durationS });
      // The batch processor exports every 5 s (its default, kept): wait that long so each run's
      // spans are counted (and written) in its own run, not the next one's.
      await sleep(5_500);
      const cpuUs = ((ingressCpuMs() - cpuBefore) * 1000) / Math.max(1, r.requests);
      cpuPerRequest.get(ratio)!.push(cpuUs);
      const written = tracesBytes();
      spanBytes.get(ratio)!.push(written);
      runs.get(ratio)!.push(r);
      console.log(
        `trial ${trial + 1} ratio ${String(ratio).padEnd(5)} ${fmt(r.rps).padStart(7)} req/s  p99 ${fmt(r.p99, 1).padStart(6)} ms  ingress CPU ${fmt(cpuUs).padStart(5)} µs/req  non-2xx ${r.non2xx}  errors ${r.errors}  spans written ${fmt(written / 1024)} KiB`,
      );
      await purge();
    }
  }

  const base = runs.get(0)!;
  const baseRps = median(base.map((r) => r.rps));
  const baseP99 = median(base.map((r) => r.p99));
  console.log(
    `\n| ratio | median req/s (min–max) | median p99 ms (min–max) | throughput vs 0 | p99 vs 0 | verdict |`,
  );
  console.log(`|---|---|---|---|---|---|`);
  for (const ratio of ratios) {
    const rs = runs.get(ratio)!;
    const rps = rs.map((r) => r.rps);
    const p99 = rs.map((r) => r.p99);
    const cost = (baseRps - median(rps)) / baseRps;
    // Only a difference larger than the runs' own scatter means anything: if the two ranges
    // overlap, no gain or loss is claimed.
    const overlaps =
      Math.min(...rps) <= Math.max(...base.map((r) => r.rps)) &&
      Math.max(...rps) >= Math.min(...base.map((r) => r.rps));
    const target = ratio === 1 ? 0.05 : ratio === 0.1 ? 0.01 : undefined;
    const verdict =
      ratio === 0
        ? "baseline"
        : overlaps
          ? "within the run-to-run spread: no cost or gain shown"
          : cost > 0
            ? `costs ${fmt(cost * 100, 1)}%${target === undefined ? "" : cost <= target ? ` (target ≤ ${target * 100}%: met)` : ` (target ≤ ${target * 100}%: MISSED)`}`
            : `faster by ${fmt(-cost * 100, 1)}%, beyond the spread`;
    console.log(
      `| ${ratio} | ${fmt(median(rps))} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}) | ${fmt(median(p99), 1)} (${fmt(Math.min(...p99), 1)}–${fmt(Math.max(...p99), 1)}) | ${ratio === 0 ? "" : `${cost > 0 ? "−" : "+"}${fmt(Math.abs(cost) * 100, 1)}%`} | ${ratio === 0 ? "" : `${fmt(((median(p99) - baseP99) / baseP99) * 100, 1)}%`} | ${verdict} |`,
    );
  }
  const baseCpu = median(cpuPerRequest.get(0)!);
  console.log(
    `\ningress CPU per request (median, spans exported included): ${ratios.map((r) => `${r}: ${fmt(median(cpuPerRequest.get(r)!))} µs${r === 0 ? "" : ` (${fmt((median(cpuPerRequest.get(r)!) / baseCpu - 1) * 100, 1)}%)`}`).join(", ")}`,
  );
  console.log(
    `spans written per run (median): ${ratios.map((r) => `${r}: ${fmt(median(spanBytes.get(r)!) / 1024)} KiB`).join(", ")}`,
  );
} finally {
  await stopProcess(ingress);
  await topology.remove();
  rmSync(work, { recursive: true, force: true });
}
