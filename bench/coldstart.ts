/**
 * `npm run bench:coldstart`: for each consumer scaled to zero, the time from publishing one event
 * (an HTTP POST to the ingress) to the consumer's reply arriving in the broker, over many cold
 * starts; plus each function's bundle size and one idle replica's resident memory.
 *
 * It drives the platform from outside: starts `dist/platform/main.js` with a short stable window,
 * reads /api/status, posts to the ingress, and watches the replies on the Broker's exchange.
 * Flags: --runs <n> (default 20 per consumer).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { readPlatformConfig } from "../platform/config.js";
import type { PlatformStatus } from "../platform/status/status-document.js";
import { freePort } from "../platform/ports.js";
import { fmt, machine, startProcess, stopProcess, waitHttp } from "./lib/process.js";
import { readFlags } from "./lib/flags.js";
import { deleteInstanceTopology } from "./lib/local-platform.js";

const values = readFlags("npm run bench:coldstart", { runs: { type: "string", default: "20" } });
const runs = Number(values.runs);
const config = readPlatformConfig();
const instance = `cold-${randomBytes(3).toString("hex")}`;
const [ingressPort, statusPort] = await Promise.all([freePort(), freePort()]);
const platform = startProcess(join(config.distDir, "platform", "main.js"), {
  LEVELER_INSTANCE: instance,
  INGRESS_PORT: String(ingressPort),
  STATUS_PORT: String(statusPort),
  LEVELER_LOG_SCALE: "false",
  AUTOSCALER_STABLE_WINDOW: "6s",
  AUTOSCALER_SCALE_TO_ZERO_GRACE_PERIOD: "0s",
  AUTOSCALER_TICK_MS: "250",
});
const statusUrl = `http://127.0.0.1:${statusPort}/api/status`;
const status = async () => (await (await fetch(statusUrl)).json()) as PlatformStatus;

const CONSUMERS: Record<string, { type: string; data: (i: number) => unknown }> = {
  order: {
    type: "com.example.order.created",
    data: (i) => ({
      orderId: `o-${i}`,
      currency: "EUR",
      items: [{ sku: "A", quantity: 1, unitPrice: 1 }],
    }),
  },
  payment: {
    type: "com.example.payment.requested",
    data: (i) => ({ paymentId: `p-${i}`, orderId: `o-${i}`, amount: 1, currency: "EUR" }),
  },
  notification: {
    type: "com.example.notification.requested",
    data: (i) => ({ notificationId: `n-${i}`, channel: "email", recipient: "a@example.com" }),
  },
  report: {
    type: "com.example.report.requested",
    data: (i) => ({ reportId: `r-${i}`, period: "daily" }),
  },
};

try {
  await waitHttp(statusUrl, 60_000);
  const first = await status();
  const exchange = `b.leveler.default.${instance}`;
  const connection = await amqp.connect(first.broker.url.replace("***", "guest"));
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue("", { exclusive: true });
  const waiters = new Map<string, (at: number) => void>();
  for (const c of Object.values(CONSUMERS))
    await channel.bindQueue(queue, exchange, "", { "x-match": "all", type: `${c.type}.processed` });
  await channel.consume(
    queue,
    (m) => {
      if (!m) return;
      const { eventId } = JSON.parse(m.content.toString()) as { eventId: string };
      waiters.get(eventId)?.(performance.now());
    },
    { noAck: true },
  );

  // Idle RSS of one replica, while the consumers still have their initial replica (started, as
  // every replica and every pod, from the compiled code the build cached); and the part
  // of it that is the replica's own (RssAnon): the rest is file pages, nearly all of them the
  // node binary's (its code, the built-in modules' sources and code cache), which every Node
  // process on the machine maps from the same file, so a second replica does not add them again.
  const idleRss: Record<string, number> = {};
  const idleAnon: Record<string, number> = {};
  await new Promise((r) => setTimeout(r, 1500));
  for (const f of (await status()).functions) {
    const pid = f.processes.find((p) => p.state === "ready")?.pid;
    if (!pid) continue;
    const procStatus = readFileSync(`/proc/${pid}/status`, "utf8");
    const mb = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+)`).exec(procStatus)?.[1] ?? 0) / 1024;
    idleRss[f.name] = mb("VmRSS");
    idleAnon[f.name] = mb("RssAnon");
  }

  console.log(
    `machine: ${machine()}; ${runs} cold starts per consumer (stable window 6 s, grace 0 s)\n`,
  );
  const samples: Record<string, number[]> = {};
  const startCpu: Record<string, number[]> = {};
  /** utime + stime of a process, in ms (clock ticks of 10 ms). */
  const cpuMs = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  // Each consumer waits for its own zero in parallel, but only one cold start runs at a time, so
  // four processes starting together on two cores do not inflate each other's figure.
  let turn: Promise<void> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const result = turn.then(work);
    turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
  await Promise.all(
    Object.entries(CONSUMERS).map(async ([name, c]) => {
      samples[name] = [];
      startCpu[name] = [];
      for (let i = 0; i < runs; i++) {
        // A replica that is still there, or one being stopped, is not a cold start.
        for (;;) {
          const f = (await status()).functions.find((fn) => fn.name === name)!;
          if (f.replicas === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const elapsed = await oneAtATime(async () => {
          const started = performance.now();
          const response = await fetch(`http://127.0.0.1:${ingressPort}/events/${c.type}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(c.data(i)),
          });
          const { id } = (await response.json()) as { id: string };
          const arrived = await new Promise<number>((resolve) => waiters.set(id, resolve));
          waiters.delete(id);
          const f = (await status()).functions.find((fn) => fn.name === name);
          const pid = f?.processes.find((p) => p.state === "ready")?.pid;
          if (pid) startCpu[name]!.push(cpuMs(pid));
          return arrived - started;
        });
        samples[name].push(elapsed);
        process.stdout.write(".");
      }
    }),
  );
  console.log("\n");
  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
  console.log(
    "| consumer | cold starts | p50 | p95 | max | replica CPU to reply (p50) | bundle | idle RSS | of it anonymous |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const all: number[] = [];
  for (const name of Object.keys(CONSUMERS)) {
    const xs = samples[name]!;
    all.push(...xs);
    const bundle = statSync(join(config.distDir, "functions", `${name}.js`)).size / 1024;
    console.log(
      `| ${name} | ${xs.length} | ${fmt(pct(xs, 50))} ms | ${fmt(pct(xs, 95))} ms | ${fmt(Math.max(...xs))} ms | ${startCpu[name]!.length ? `${fmt(pct(startCpu[name]!, 50))} ms` : "-"} | ${fmt(bundle)} KiB | ${fmt(idleRss[name] ?? 0)} MB | ${fmt(idleAnon[name] ?? 0)} MB |`,
    );
  }
  const ingressBundle = statSync(join(config.distDir, "functions", "ingress.js")).size / 1024;
  console.log(
    `| ingress (min-scale 1) | - | - | - | - | - | ${fmt(ingressBundle)} KiB | ${fmt(idleRss.ingress ?? 0)} MB | ${fmt(idleAnon.ingress ?? 0)} MB |`,
  );
  const p50 = pct(all, 50);
  const p95 = pct(all, 95);
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  console.log(
    `\nall consumers: p50 ${fmt(p50)} ms (target ≤ 200: ${verdict(p50 <= 200)}), p95 ${fmt(p95)} ms (target ≤ 400: ${verdict(p95 <= 400)})`,
  );
  const maxBundle = Math.max(
    ...["order", "payment", "notification", "report", "ingress"].map(
      (n) => statSync(join(config.distDir, "functions", `${n}.js`)).size,
    ),
  );
  // The consumers only, as the label says: the dead-letters sink is a Service of its own.
  const maxIdle = Math.max(...Object.keys(CONSUMERS).map((n) => idleRss[n] ?? 0));
  console.log(
    `largest bundle ${fmt(maxBundle / 1024)} KiB (target ≤ 1 MB: ${verdict(maxBundle <= 1024 * 1024)}); idle consumer replica ≤ ${fmt(maxIdle)} MB (target ≤ 70 MB: ${verdict(maxIdle <= 70)})`,
  );
  await connection.close();
} finally {
  await stopProcess(platform);
  // Its instance is the benchmark's own: its exchanges and queues go with it.
  await deleteInstanceTopology(config.manifestDirs, instance, config.amqpUrl).catch((err: Error) =>
    console.error(`could not delete the benchmark's queues (${instance}): ${err.message}`),
  );
}
