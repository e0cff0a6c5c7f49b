/**
 * `npm run bench:dispatch`: the CPU one Trigger dispatcher process spends per event, for this
 * tree's build and another build (`--base`, a build of the unchanged tree) in the same run.
 *
 * Each run starts two dispatchers at once (dist/platform/dispatcher-main.js of each build, forked
 * with an IPC channel and the environment the platform writes for the Trigger: dispatcher-env.ts),
 * each on its own copy of the manifests' topology (real quorum queues, bench-only instance ids),
 * so both see the same machine: on a shared machine, runs one after the other differ by more than
 * the levers measured. The copies swap builds from one run to the next. A local HTTP subscriber in
 * this process answers every delivery 200 with a binary-mode reply CloudEvent whose type another
 * Trigger takes, so every reply is published, routed into a quorum queue and confirmed, as in a
 * run. Once both consume, events are published straight into both queues at `--rate` per second
 * each (binary mode, as the ingress writes them; `--traced` of them carry a sampled trace
 * context); a run ends when both dispatchers report all of them processed and none in flight. CPU
 * is user+sys of each dispatcher from /proc/<pid>/stat over that span (start-up not counted).
 *
 * With --alone the two builds run one after the other instead, each alone on the machine: slower
 * and noisier for the dispatchers, but RabbitMQ's CPU per event (from its process, when it listens
 * on this machine) is then each build's own; in the default mode it is the two builds' together.
 *
 * With --instructions each dispatcher runs under valgrind's callgrind (bench/lib/callgrind.ts) and
 * the figure is instructions per event instead of CPU time, which does not drift with what else
 * the machine does: uncounted until `--warmup` events have gone through, then one window between
 * full GCs over `--events` events published at once (callgrind slows a dispatcher some fifty times,
 * so no rate holds) and the span processor's next export. It ranks changes to the dispatcher's
 * code; the budget stage of `npm run bench` says what they are worth.
 *
 * Flags: --base <dist dir> (required), --events <n> (5000), --rate <n/s> (500),
 * --reps <n> (3), --trigger <name> (order), --ratio <sampler ratio> (0.01), --traced <fraction>
 * (same as the ratio), --alone, --instructions, --warmup <n> (2000, with --instructions).
 */
import { fork, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import amqp from "amqplib";
import { CloudEvent } from "cloudevents";
import { toAmqp } from "../lib/cloudevent-amqp.js";
import { writeSamplingSwitchFile } from "../lib/runtime/sampling-switch.js";
import { dispatcherEnv, triggerDispatcherConfig } from "../platform/broker/dispatcher-env.js";
import { readPlatformConfig } from "../platform/config.js";
import { freePort } from "../platform/ports.js";
import { pidListeningOn } from "./lib/cpu-sampler.js";
import { parseProcStat } from "./lib/proc-stat.js";
import { benchTopology, type BenchTopology } from "./lib/topology.js";
import {
  callgrindControl,
  fullGc,
  lastDump,
  requireCallgrind,
  startCounted,
  type Counted,
} from "./lib/callgrind.js";
import { readFlags, wholeNumber } from "./lib/flags.js";

const COMMAND = "npm run bench:dispatch";
const values = readFlags(COMMAND, {
  base: { type: "string" },
  events: { type: "string", default: "5000" },
  rate: { type: "string", default: "500" },
  reps: { type: "string", default: "3" },
  trigger: { type: "string", default: "order" },
  ratio: { type: "string", default: "0.01" },
  traced: { type: "string" },
  alone: { type: "boolean", default: false },
  instructions: { type: "boolean", default: false },
  warmup: { type: "string", default: "2000" },
});
if (!values.base) {
  console.error(
    "bench:dispatch: --base <dist directory> is required: the build to compare with (npm run build in another checkout)",
  );
  process.exit(2);
}
const baseDist = values.base;
const events = wholeNumber(COMMAND, "events", values.events);
const rate = wholeNumber(COMMAND, "rate", values.rate);
const reps = wholeNumber(COMMAND, "reps", values.reps);
const ratio = Number(values.ratio);
const tracedShare = values.traced === undefined ? ratio : Number(values.traced);
const warmup = wholeNumber(COMMAND, "warmup", values.warmup, 0);
if (values.instructions && values.alone) {
  // Under callgrind the figure is each process's own instructions: nothing to gain from running alone.
  console.error(`${COMMAND}: --alone and --instructions do not go together`);
  process.exit(2);
}
if (values.instructions) requireCallgrind(COMMAND);

const config = readPlatformConfig();
const topologies = [await benchTopology(config), await benchTopology(config)];
const triggerIn = (topology: BenchTopology) => {
  const trigger = topology.plan.triggers.find((t) => t.trigger.name === values.trigger);
  if (!trigger) throw new Error(`no Trigger named ${values.trigger}`);
  return trigger;
};
const trigger = triggerIn(topologies[0]!);
const replyType =
  topologies[0]!.plan.triggers.find((t) => t.trigger.name !== trigger.trigger.name)?.trigger.filter
    .type ?? "com.example.bench.reply";

const work = mkdtempSync(join(tmpdir(), "leveler-bench-dispatch-"));
const configFile = join(work, "config.yaml");
writeSamplingSwitchFile(configFile, { samplerRatio: ratio });

// The subscriber: answers with a reply in binary mode, as a consumer does; one path per copy.
const requests = [0, 0];
const replyBody = JSON.stringify({ paymentId: "p-1", orderId: "o-1", amount: 19 });
const server = createServer((req, res) => {
  const n = ++requests[req.url === "/1" ? 1 : 0]!;
  req.resume();
  req.on("end", () => {
    res.writeHead(200, {
      "ce-specversion": "1.0",
      "ce-id": `reply-${n}`,
      "ce-source": "/bench/subscriber",
      "ce-type": replyType,
      "content-type": "application/json",
      "content-length": Buffer.byteLength(replyBody),
    });
    res.end(replyBody);
  });
});
const port = await freePort();
await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));

const connection = await amqp.connect(config.amqpUrl);
const channel = await connection.createConfirmChannel();

const data = {
  orderId: "o-1",
  currency: "EUR",
  items: [{ sku: "A", quantity: 2, unitPrice: 9.5 }],
};
function message(i: number): ReturnType<typeof toAmqp> {
  const traced = tracedShare > 0 && i % Math.round(1 / tracedShare) === 0;
  const event = new CloudEvent<unknown>({
    specversion: "1.0",
    id: `bench-${i}-${Math.random().toString(36).slice(2)}`,
    source: "/bench",
    type: trigger.trigger.filter.type ?? "com.example.order.created",
    datacontenttype: "application/json",
    time: new Date().toISOString(),
    data,
    ...(traced ? { traceparent: `00-${randomHex(32)}-${randomHex(16)}-01` } : {}),
  });
  const m = toAmqp(event);
  if (traced) m.properties.headers["x-leveler-published-ms"] = String(Date.now());
  return m;
}

function randomHex(n: number): string {
  let s = "";
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

function cpuTicks(pid: number): { user: number; sys: number } {
  const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))!;
  return { user: stat.utime, sys: stat.stime };
}

interface Stats {
  processed: Record<string, number>;
  inFlight: number;
  connected: boolean;
}

interface Running {
  child: ChildProcess;
  stats: () => Stats | undefined;
  /** Under callgrind (--instructions). */
  counted?: Counted;
}

let started = 0;
function startDispatcher(distDir: string, copy: number): Running {
  let stats: Stats | undefined;
  const script = join(distDir, "platform", "dispatcher-main.js");
  const env = {
    ...process.env,
    ...dispatcherEnv(
      triggerDispatcherConfig(
        triggerIn(topologies[copy]!),
        `http://127.0.0.1:${port}/${copy}`,
        config.amqpUrl,
      ),
    ),
    METRICS_PORT: "0",
    LEVELER_TELEMETRY_CONFIG: configFile,
    LEVELER_TRACES_DIR: join(work, "traces"),
  };
  const stdio: StdioOptions = ["ignore", "ignore", "inherit", "ipc"];
  const counted = values.instructions
    ? startCounted({ name: `copy ${copy}`, id: String(started++), dir: work, script, env, stdio })
    : undefined;
  const child = counted?.child ?? fork(script, [], { execPath: process.execPath, env, stdio });
  child.on("message", (m: { kind?: string; stats?: Stats }) => {
    if (m.kind === "stats") stats = m.stats;
  });
  return { child, stats: () => stats, ...(counted ? { counted } : {}) };
}

/** SIGTERM to each dispatcher, and their exits waited for. */
async function stopDispatchers(running: Running[]): Promise<void> {
  await Promise.all(
    running.map(({ child }) => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      return exited;
    }),
  );
}

/** Whether a dispatcher has processed `n` events in all and holds none in flight. */
function processedAll(r: Running, n: number): boolean {
  const stats = r.stats();
  const processed = Object.values(stats?.processed ?? {}).reduce((a, b) => a + b, 0);
  return processed >= n && stats?.inFlight === 0;
}

/** `n` events into the queue of each copy in `copies`, at once, confirmed; `from` numbers them. */
async function publishAll(copies: number, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++)
    for (const topology of topologies.slice(0, copies)) {
      const { content, properties } = message(i);
      channel.sendToQueue(triggerIn(topology).queue, content, properties);
    }
  await channel.waitForConfirms();
}

/**
 * One run under callgrind: `dists[i]` on copy i, at the same time; the instructions each spent
 * per event over the window.
 */
async function runCounted(dists: string[]): Promise<{ perEvent: number[]; seconds: number }> {
  for (const topology of topologies) await topology.purge();
  requests.fill(0);
  const running = dists.map((dist, copy) => startDispatcher(dist, copy));
  const until = async (n: number) => {
    while (!running.every((r) => processedAll(r, n))) await sleep(100);
  };
  try {
    while (!running.every((r) => r.stats()?.connected)) await sleep(100);
    await publishAll(dists.length, 0, warmup);
    await until(warmup);
    for (const r of running) callgrindControl(r.counted!, ["-i", "on"]);
    // A window starts and ends on a full GC: it pays for collecting what it allocated.
    for (const r of running) await fullGc(r.counted!);
    for (const r of running) callgrindControl(r.counted!, ["-z"]);
    const t0 = performance.now();
    await publishAll(dists.length, warmup, events);
    await until(warmup + events);
    const seconds = (performance.now() - t0) / 1000;
    // The batch span processor exports every 5 s: its work on these events' spans counts.
    await sleep(6_000);
    for (const r of running) await fullGc(r.counted!);
    for (const r of running) callgrindControl(r.counted!, ["-d"]);
    return { perEvent: running.map((r) => lastDump(r.counted!) / events), seconds };
  } finally {
    await stopDispatchers(running);
  }
}

interface Figures {
  usPerEvent: number;
  sysShare: number;
}

/** RabbitMQ's process, when it listens here: its CPU per event is reported beside. */
const rabbitPid = pidListeningOn(Number(new URL(config.amqpUrl.split(",")[0]!).port || 5672));

/** One run: `dists[i]` on copy i of the topology, at the same time. */
async function run(
  dists: string[],
): Promise<{ figures: Figures[]; seconds: number; rabbitUsPerEvent: number | undefined }> {
  for (const topology of topologies) await topology.purge();
  requests.fill(0);
  const running = dists.map((dist, copy) => startDispatcher(dist, copy));
  try {
    while (!running.every((r) => r.stats()?.connected)) await sleep(50);
    await sleep(1000); // start-up settles (telemetry, first metrics)
    const cpu0 = running.map((r) => cpuTicks(r.child.pid!));
    const rabbit0 = rabbitPid === null ? undefined : cpuTicks(rabbitPid);
    const t0 = performance.now();
    // Paced in 10 ms slices, as a steady stream rather than one backlog.
    for (let sent = 0; sent < events;) {
      const due = Math.min(events, Math.ceil(((performance.now() - t0) / 1000) * rate));
      for (; sent < due; sent++)
        for (const topology of topologies.slice(0, dists.length)) {
          const { content, properties } = message(sent);
          channel.sendToQueue(triggerIn(topology).queue, content, properties);
        }
      await sleep(10);
    }
    await channel.waitForConfirms();
    const done = (r: Running) => processedAll(r, events);
    const cpu1: ({ user: number; sys: number } | undefined)[] = running.map(() => undefined);
    while (cpu1.some((c) => c === undefined)) {
      running.forEach((r, i) => {
        if (cpu1[i] === undefined && done(r)) cpu1[i] = cpuTicks(r.child.pid!);
      });
      await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const rabbit1 = rabbitPid === null ? undefined : cpuTicks(rabbitPid);
    const rabbitUsPerEvent =
      rabbit0 && rabbit1
        ? ((rabbit1.user + rabbit1.sys - rabbit0.user - rabbit0.sys) * 10_000) /
          (events * dists.length)
        : undefined;
    requests.slice(0, dists.length).forEach((n, i) => {
      if (n !== events) console.error(`  (copy ${i}: ${n} requests for ${events} events)`);
    });
    const figures = running.map((_, i) => {
      const user = cpu1[i]!.user - cpu0[i]!.user;
      const sys = cpu1[i]!.sys - cpu0[i]!.sys;
      return { usPerEvent: ((user + sys) * 10_000) / events, sysShare: sys / (user + sys) };
    });
    return { figures, seconds, rabbitUsPerEvent };
  } finally {
    await stopDispatchers(running);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const builds = { base: resolve(baseDist), new: resolve(config.distDir) };
const results: Record<"base" | "new", number[]> = { base: [], new: [] };
const unit = values.instructions ? "k instructions" : "µs";
console.log(
  `bench:dispatch: Trigger ${trigger.trigger.name} (parallelism ${trigger.trigger.parallelism}), ${events} events ${values.instructions ? `at once after ${warmup} uncounted, under callgrind,` : `at ${rate}/s`} to each of two dispatchers at once, sampler ratio ${ratio}, traced ${tracedShare}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
try {
  const rabbit: Record<"base" | "new", number[]> = { base: [], new: [] };
  for (let rep = 0; rep < reps; rep++) {
    // The copies swap builds every run, so neither build always has the same queue.
    const order: ("base" | "new")[] = rep % 2 === 0 ? ["base", "new"] : ["new", "base"];
    const line: string[] = [];
    let seconds = 0;
    if (values.instructions) {
      const result = await runCounted(order.map((name) => builds[name]));
      seconds = result.seconds;
      order.forEach((name, i) => {
        results[name].push(result.perEvent[i]! / 1000);
        line.push(`${name} ${(result.perEvent[i]! / 1000).toFixed(1)}k instructions`);
      });
    } else {
      const runs = values.alone
        ? [order[0]!, order[1]!].map((name) => ({ names: [name], run: () => run([builds[name]]) }))
        : [{ names: order, run: () => run(order.map((name) => builds[name])) }];
      for (const r of runs) {
        const result = await r.run();
        seconds += result.seconds;
        r.names.forEach((name, i) => {
          results[name].push(result.figures[i]!.usPerEvent);
          line.push(
            `${name} ${result.figures[i]!.usPerEvent.toFixed(0).padStart(4)} µs (${(result.figures[i]!.sysShare * 100).toFixed(0)}% sys)`,
          );
        });
        if (result.rabbitUsPerEvent !== undefined) {
          if (values.alone) rabbit[r.names[0]!].push(result.rabbitUsPerEvent);
          line.push(`RabbitMQ ${result.rabbitUsPerEvent.toFixed(0)} µs`);
        }
      }
    }
    console.log(
      `  rep ${rep + 1}: ${line.join(", ")}  (${seconds.toFixed(1)} s; load ${loadavg()[0]!.toFixed(2)})`,
    );
  }
  // Both builds of a run shared the machine: their ratio is steadier than either figure.
  const ratios = results.new.map((n, i) => n / results.base[i]!);
  console.log(
    `new/base per run: median ${median(ratios).toFixed(3)} (${ratios.map((r) => r.toFixed(3)).join(", ")})`,
  );
  if (values.alone && rabbit.base.length > 0)
    console.log(
      `RabbitMQ per event, new/base per rep: median ${median(rabbit.new.map((n, i) => n / rabbit.base[i]!)).toFixed(3)} (base median ${median(rabbit.base).toFixed(0)} µs, new ${median(rabbit.new).toFixed(0)} µs)`,
    );
  for (const name of ["base", "new"] as const) {
    const xs = results[name];
    console.log(
      `${name.padEnd(4)} median ${median(xs).toFixed(0)} ${unit}/event (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`,
    );
  }
} finally {
  for (const topology of topologies) {
    await topology.purge().catch(() => undefined);
    await topology.remove();
  }
  await connection.close().catch(() => undefined);
  server.close();
  server.closeAllConnections();
  rmSync(work, { recursive: true, force: true });
}
