/**
 * Cold starts, measured from outside: for each consumer scaled to zero, the time from publishing
 * one event (an HTTP POST to the ingress) to the consumer's reply arriving in the broker, one cold
 * start at a time; each replica's CPU up to its reply; each function's bundle size and one idle
 * replica's resident memory. `npm run bench:coldstart` prints it alone; `npm run bench` runs it as
 * a stage of the full report. The platform it is given must scale to zero quickly (coldStartEnv).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import type {
  ColdStartResult,
  ConsumerColdStarts,
  FunctionFootprint,
} from "./coldstart-summary.js";
import type { BenchPlatform } from "./local-platform.js";
import { parseProcStat } from "./proc-stat.js";

/** The platform's autoscaler settings for the stage: a short stable window and no grace period. */
export const coldStartEnv: Readonly<Record<string, string>> = {
  AUTOSCALER_STABLE_WINDOW: "6s",
  AUTOSCALER_SCALE_TO_ZERO_GRACE_PERIOD: "0s",
  AUTOSCALER_TICK_MS: "250",
};

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

export async function measureColdStarts(
  platform: BenchPlatform,
  distDir: string,
  runs: number,
  /** After each cold start: how many so far, of how many. */
  onSample: (done: number, of: number) => void = () => undefined,
): Promise<ColdStartResult> {
  const exchange = (await platform.status()).brokers[0]!.exchange;
  const connection = await amqp.connect(platform.amqpUrl);
  try {
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    const waiters = new Map<string, (at: number) => void>();
    for (const c of Object.values(CONSUMERS))
      await channel.bindQueue(queue, exchange, "", {
        "x-match": "all",
        type: `${c.type}.processed`,
      });
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
    // every replica and every pod, from the compiled code the build cached); and the part of it
    // that is the replica's own (RssAnon): the rest is file pages, nearly all of them the node
    // binary's (its code, the built-in modules' sources and code cache), which every Node process
    // on the machine maps from the same file, so a second replica does not add them again.
    await new Promise((r) => setTimeout(r, 1500));
    const idle = new Map<string, { rss: number; anon: number }>();
    for (const f of (await platform.status()).functions) {
      const pid = f.processes.find((p) => p.state === "ready")?.pid;
      if (!pid) continue;
      const procStatus = readFileSync(`/proc/${pid}/status`, "utf8");
      const mb = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(procStatus)?.[1] ?? 0) / 1024;
      idle.set(f.name, { rss: mb("VmRSS"), anon: mb("RssAnon") });
    }
    const footprint = (name: string): FunctionFootprint => ({
      name,
      bundleKiB: statSync(join(distDir, "functions", `${name}.js`)).size / 1024,
      idleRssMb: idle.get(name)?.rss ?? null,
      idleAnonMb: idle.get(name)?.anon ?? null,
    });

    /** utime + stime of a process, in ms (clock ticks of 10 ms); null if it is gone. */
    const cpuMs = (pid: number) => {
      const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      return stat ? (stat.utime + stat.stime) * 10 : null;
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
    const total = runs * Object.keys(CONSUMERS).length;
    let done = 0;
    const consumers = await Promise.all(
      Object.entries(CONSUMERS).map(async ([name, c]): Promise<ConsumerColdStarts> => {
        const samplesMs: number[] = [];
        const startCpuMs: number[] = [];
        for (let i = 0; i < runs; i++) {
          // A replica that is still there, or one being stopped, is not a cold start.
          for (;;) {
            const f = (await platform.status()).functions.find((fn) => fn.name === name)!;
            if (f.replicas === 0) break;
            await new Promise((r) => setTimeout(r, 200));
          }
          const elapsed = await oneAtATime(async () => {
            const started = performance.now();
            const response = await fetch(`${platform.ingressUrl}/events/${c.type}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(c.data(i)),
            });
            const { id } = (await response.json()) as { id: string };
            const arrived = await new Promise<number>((resolve) => waiters.set(id, resolve));
            waiters.delete(id);
            const f = (await platform.status()).functions.find((fn) => fn.name === name);
            const pid = f?.processes.find((p) => p.state === "ready")?.pid;
            const cpu = pid ? cpuMs(pid) : null;
            if (cpu !== null) startCpuMs.push(cpu);
            return arrived - started;
          });
          samplesMs.push(elapsed);
          onSample(++done, total);
        }
        return { ...footprint(name), samplesMs, startCpuMs };
      }),
    );
    return { runs, consumers, ingress: footprint("ingress") };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
