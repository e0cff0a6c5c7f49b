/**
 * Cold starts, measured from outside: for each consumer scaled to zero, the time from publishing
 * one event (an HTTP POST to the ingress) to the consumer's reply arriving in the broker, one cold
 * start at a time; each replica's CPU up to its reply; each function's bundle size and one idle
 * replica's resident memory. `npm run bench:coldstart` prints it alone; `npm run bench` runs it as
 * a stage of the full report. The platform it is given must scale to zero quickly (coldStartEnv).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import amqp from "amqplib";
import { sampleData, samples } from "../../functions/events/samples.js";
import type { PlatformStatus } from "../../platform/status/status-document.js";
import type {
  ColdStartResult,
  ConsumerColdStarts,
  FunctionFootprint,
} from "./coldstart-summary.js";
import type { BenchPlatform } from "./local-platform.js";
import { procStatusMb } from "./process.js";
import { parseProcStat } from "./proc-stat.js";

/** The platform's autoscaler settings for the stage: a short stable window and no grace period. */
export const coldStartEnv: Readonly<Record<string, string>> = {
  AUTOSCALER_STABLE_WINDOW: "6s",
  AUTOSCALER_SCALE_TO_ZERO_GRACE_PERIOD: "0s",
  AUTOSCALER_TICK_MS: "250",
};

/** A consumer to start from zero: its function and the event type its Trigger takes. */
interface Consumer {
  name: string;
  type: string;
}

/**
 * The consumers the platform runs, read from its status (the Triggers come from the manifests):
 * each Trigger whose `type` filter has sample data, and the function its subscriber URL points at.
 */
export function consumersOf(status: PlatformStatus): Consumer[] {
  const consumers: Consumer[] = [];
  for (const t of status.triggers) {
    const type = t.filter.type;
    if (type === undefined || !(type in samples)) continue;
    const origin = new URL(t.subscriber).origin;
    const f = status.functions.find((fn) => new URL(fn.url).origin === origin);
    if (f) consumers.push({ name: f.name, type });
  }
  return consumers;
}

export async function measureColdStarts(
  platform: BenchPlatform,
  distDir: string,
  runs: number,
  /** After each cold start: how many so far, of how many. */
  onSample: (done: number, of: number) => void = () => undefined,
): Promise<ColdStartResult> {
  const first = await platform.status();
  const exchange = first.brokers[0]!.exchange;
  const consumerList = consumersOf(first);
  if (consumerList.length === 0) throw new Error("the platform runs no consumer with sample data");
  const connection = await amqp.connect(platform.amqpUrl);
  try {
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    const waiters = new Map<string, (at: number) => void>();
    for (const c of consumerList)
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
    await sleep(1500);
    const idle = new Map<string, { rss: number; anon: number }>();
    for (const f of (await platform.status()).functions) {
      const pid = f.processes.find((p) => p.state === "ready")?.pid;
      if (!pid) continue;
      const mb = procStatusMb(pid, ["VmRSS", "RssAnon"]);
      idle.set(f.name, { rss: mb.VmRSS ?? 0, anon: mb.RssAnon ?? 0 });
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
    const total = runs * consumerList.length;
    let done = 0;
    const consumers = await Promise.all(
      consumerList.map(async ({ name, type }): Promise<ConsumerColdStarts> => {
        const samplesMs: number[] = [];
        const startCpuMs: number[] = [];
        for (let i = 0; i < runs; i++) {
          // A replica that is still there, or one being stopped, is not a cold start.
          for (;;) {
            const f = (await platform.status()).functions.find((fn) => fn.name === name)!;
            if (f.replicas === 0) break;
            await sleep(200);
          }
          const elapsed = await oneAtATime(async () => {
            const started = performance.now();
            const response = await fetch(`${platform.ingressUrl}/events/${type}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(sampleData(type, "cold", i)),
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
