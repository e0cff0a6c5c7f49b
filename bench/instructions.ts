/**
 * `npm run bench:instructions`: what one ingress request costs in CPU instructions, counted by
 * valgrind's callgrind, at sampler ratios 0 and 1, for this tree and (with `--baseline <dir>`)
 * for another checkout's build in the same run.
 *
 * Why instructions: on a shared VM, CPU time per request drifts by 10-20 % between runs minutes
 * apart (time the host takes is charged to the guest's processes), which hides a change worth a
 * few percent. An instruction count does not depend on what else the machine is doing; what moves
 * it is the process's own state (a major GC falling in a window or not, how warm the JIT is), which
 * the rounds' spread shows. It is not time: a cache miss costs no instruction, so memory-bound work
 * (the garbage collector's) is undercounted. It ranks code changes; the budget stage of
 * `npm run bench` says what they are worth in CPU for the whole system.
 *
 * Each ingress publishes into a bench copy of the topology (as bench:telemetry does) under
 * `valgrind --tool=callgrind`, uninstrumented until it is warm: start-up and `--warmup` requests
 * at each ratio are not counted. Then, per ratio (switched live through the watched file), in
 * turn on every tree, `--rounds` times: counters zeroed, `--requests` POSTs from `--connections`
 * clients, a wait for the batch span processor's export (so serialising and writing the spans
 * counts), counters dumped. Each window starts and ends with a full GC (a preload the bench
 * writes, run with --expose-gc on SIGUSR2), so it pays for collecting its own garbage and none
 * inherits another's. Everything the process did in the window counts, its helper threads' too.
 * The figures are each cell's median with its range.
 *
 * Flags: --requests <n> (default 2000), --warmup <n> (2000), --connections <n> (10),
 * --rounds <n> (3), --ratios <list> (0,1), --baseline <dir> (a checkout with dist/ built).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { parseRatio, writeSamplingSwitchFile } from "../lib/runtime/sampling-switch.js";
import { readPlatformConfig } from "../platform/config.js";
import { freePort } from "../platform/ports.js";
import { scrapeSamplerRatio } from "../platform/telemetry/sampler-status.js";
import {
  callgrindControl,
  countWindow,
  requireCallgrind,
  startCounted,
  type Counted,
} from "./lib/callgrind.js";
import { readFlags, wholeNumber } from "./lib/flags.js";
import { fmt, machine, median, stopProcess, waitHttp } from "./lib/process.js";
import { benchIngressEnv, benchTopology } from "./lib/topology.js";

const COMMAND = "npm run bench:instructions";
const values = readFlags(COMMAND, {
  requests: { type: "string", default: "2000" },
  warmup: { type: "string", default: "2000" },
  connections: { type: "string", default: "10" },
  ratios: { type: "string", default: "0,1" },
  rounds: { type: "string", default: "3" },
  baseline: { type: "string" },
});
const count = (name: "requests" | "warmup" | "connections" | "rounds") =>
  wholeNumber(COMMAND, name, values[name]);
const requests = count("requests");
const warmup = count("warmup");
const connections = count("connections");
const rounds = count("rounds");
const ratios = values.ratios.split(",").map((r) => parseRatio(r));
if (!ratios.includes(0)) ratios.unshift(0); // what each ratio adds is counted against 0
requireCallgrind(COMMAND);

const config = readPlatformConfig();
const trees = [{ name: "this tree", dist: config.distDir }];
if (values.baseline) {
  const dist = join(resolve(values.baseline), "dist");
  if (!existsSync(join(dist, "functions", "ingress.js"))) {
    console.error(
      `${COMMAND}: --baseline ${values.baseline}: no dist/ there; build it first (cd ${values.baseline} && npm run build)`,
    );
    process.exit(2);
  }
  trees.push({ name: "baseline", dist });
}

const topology = await benchTopology(config);
const work = mkdtempSync(join(tmpdir(), "leveler-bench-instructions-"));
const body = JSON.stringify({
  orderId: "o-1",
  currency: "EUR",
  items: [{ sku: "A", quantity: 2, unitPrice: 9.5 }],
});

interface Ingress extends Counted {
  url: string;
  metricsUrl: string;
  configFile: string;
}

async function startIngress(tree: { name: string; dist: string }, i: number): Promise<Ingress> {
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const configFile = join(work, `config-${i}.yaml`);
  writeSamplingSwitchFile(configFile, { samplerRatio: 0 });
  const counted = startCounted({
    name: tree.name,
    id: String(i),
    dir: work,
    script: join(tree.dist, "functions", "ingress.js"),
    env: {
      ...process.env,
      ...benchIngressEnv(
        config,
        topology,
        { port, metricsPort },
        {
          LEVELER_TELEMETRY_CONFIG: configFile,
          LEVELER_TRACES_DIR: join(work, `traces-${i}`),
        },
      ),
    },
  });
  const url = `http://127.0.0.1:${port}/events/com.example.order.created`;
  // Under valgrind a start takes tens of seconds.
  await waitHttp(`http://127.0.0.1:${port}/health/readiness`, 180_000);
  return { ...counted, url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, configFile };
}

async function post(ingress: Ingress, amount: number): Promise<number> {
  const r = await new Promise<autocannon.Result>((done, fail) =>
    autocannon(
      {
        url: ingress.url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        connections,
        amount,
        timeout: 120,
      },
      (err: Error | null, result: autocannon.Result) => (err ? fail(err) : done(result)),
    ),
  );
  if (r.non2xx || r.errors || r.timeouts)
    throw new Error(
      `${ingress.name}: ${r.non2xx} answers not 2xx, ${r.errors + r.timeouts} errors`,
    );
  return r.requests.total;
}

async function setRatio(ingress: Ingress, ratio: number): Promise<void> {
  writeSamplingSwitchFile(ingress.configFile, { samplerRatio: ratio });
  const deadline = Date.now() + 60_000;
  while ((await scrapeSamplerRatio(ingress.metricsUrl)) !== ratio) {
    if (Date.now() > deadline) throw new Error(`${ingress.name}: ratio ${ratio} not applied`);
    await sleep(100);
  }
}

const running: Ingress[] = [];
try {
  console.log(
    `machine: ${machine()}; the ingress under callgrind, ${requests} requests per ratio after ${warmup} uncounted, ${connections} connections\n`,
  );
  for (const [i, tree] of trees.entries()) running.push(await startIngress(tree, i));
  // Warm at every ratio, so the span path's compilation is not counted against the first ratio
  // that takes it.
  for (const ingress of running) {
    for (const ratio of ratios) {
      await setRatio(ingress, ratio);
      await post(ingress, warmup);
    }
    callgrindControl(ingress, ["-i", "on"]);
  }
  await topology.purge();

  // Rounds interleave trees and ratios, so drift hits every cell alike; a window's count moves by a
  // few percent with whether a major GC falls in it, which the spread shows.
  const perRequest = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++)
    for (const ratio of ratios)
      for (const ingress of running) {
        await setRatio(ingress, ratio);
        // A window starts and ends on a full GC: it pays for collecting what it allocated, and
        // none inherits another's garbage (without this, whether a major GC fell in a window
        // moved it by up to 40 %).
        let sent = 0;
        const instructions = await countWindow(ingress, async () => {
          sent = await post(ingress, requests);
          // The batch span processor exports every 5 s: its work on these requests' spans counts.
          await sleep(6_000);
        });
        const k = instructions / sent / 1000;
        const key = `${ingress.name} ${ratio}`;
        perRequest.set(key, [...(perRequest.get(key) ?? []), k]);
        console.log(
          `round ${round + 1}, ${ingress.name}, ratio ${ratio}: ${fmt(k, 1)}k instructions per request`,
        );
        await topology.purge();
      }

  const base = ratios[0]!;
  const at = (tree: string, r: number) => median(perRequest.get(`${tree} ${r}`)!);
  const spread = (tree: string, r: number) => {
    const ks = perRequest.get(`${tree} ${r}`)!;
    return `${fmt(at(tree, r), 1)}k [${fmt(Math.min(...ks), 1)}–${fmt(Math.max(...ks), 1)}]`;
  };
  console.log(
    `\nmedian [min–max] of ${rounds} rounds\n\n| tree | ${ratios.map((r) => `ratio ${r}`).join(" | ")} | ${ratios
      .slice(1)
      .map((r) => `${r} − ${base}`)
      .join(" | ")} |`,
  );
  console.log(`|---|${[...ratios, ...ratios.slice(1)].map(() => "---:").join("|")}|`);
  for (const { name } of trees)
    console.log(
      `| ${name} | ${ratios.map((r) => spread(name, r)).join(" | ")} | ${ratios
        .slice(1)
        .map((r) => `${fmt(at(name, r) - at(name, base), 1)}k`)
        .join(" | ")} |`,
    );
  if (trees.length === 2)
    console.log(
      `| this ÷ baseline | ${ratios.map((r) => fmt(at("this tree", r) / at("baseline", r), 2)).join(" | ")} | ${ratios
        .slice(1)
        .map((r) =>
          fmt(
            (at("this tree", r) - at("this tree", base)) /
              (at("baseline", r) - at("baseline", base)),
            2,
          ),
        )
        .join(" | ")} |`,
    );
} finally {
  await Promise.all(running.map((r) => stopProcess(r.child)));
  await topology.remove();
  rmSync(work, { recursive: true, force: true });
}
