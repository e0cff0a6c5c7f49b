/**
 * `npm run bench:replication`: the cost of a replicated broker. The same closed-loop load of order
 * events against the platform on a private single RabbitMQ node and on a private three-node
 * cluster (LEVELER_RABBITMQ_NODES=3's cluster, quorum queues with three members), in one run, in
 * turn; per broker: the accept rate, and CPU per processed event for every process (the platform,
 * its functions and dispatchers, and the RabbitMQ nodes' beam.smp), read from /proc/<pid>/stat
 * from the first request until the queue is drained. The load client is this process and is left
 * out.
 *
 *   npm run bench:replication [-- --seconds 20 --connections 50 --trials 1]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../platform/ports.js";
import { ensureBroker, type EnsuredBroker } from "../platform/rabbitmq.js";
import { startBenchPlatform } from "./lib/local-platform.js";
import { fmt, load, machine } from "./lib/process.js";
import { readFlags } from "./lib/flags.js";

const ROOT = join(import.meta.dirname, "..", "..");
const args = readFlags("npm run bench:replication", {
  seconds: { type: "string", default: "20" },
  connections: { type: "string", default: "50" },
  trials: { type: "string", default: "1" },
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const TRIALS = Number(args.trials);
const TICKS = 100; // USER_HZ on Linux

interface Figures {
  nodes: number;
  accepted: number;
  refused: number;
  acceptRate: number;
  processed: number;
  /** CPU ms per processed event: RabbitMQ's nodes, and the platform's processes. */
  brokerMs: number;
  platformMs: number;
}

/** Every process below `root` (pid → parent pid read from /proc). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!pid) continue;
    try {
      parent.set(pid, Number(statFields(pid)[1]));
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

/** /proc/<pid>/stat fields after the command: [state, ppid, …]; utime and stime are 11 and 12. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU ticks of each process, by pid, and whether it is a RabbitMQ process. */
function cpuSnapshot(): Map<number, { ticks: number; broker: boolean }> {
  const snapshot = new Map<number, { ticks: number; broker: boolean }>();
  for (const pid of descendants(process.pid)) {
    try {
      const f = statFields(pid);
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      snapshot.set(pid, {
        ticks: Number(f[11]) + Number(f[12]),
        broker:
          /beam|erl_child_setup|inet_gethost|epmd/.test(comm) || /rabbitmq-server/.test(cmdline),
      });
    } catch {
      // gone
    }
  }
  return snapshot;
}

function cpuSeconds(
  before: Map<number, { ticks: number; broker: boolean }>,
  after: Map<number, { ticks: number; broker: boolean }>,
): { broker: number; platform: number } {
  const total = { broker: 0, platform: 0 };
  for (const [pid, a] of after) {
    const ticks = a.ticks - (before.get(pid)?.ticks ?? 0);
    total[a.broker ? "broker" : "platform"] += ticks / TICKS;
  }
  return total;
}

async function trial(nodes: number): Promise<Figures> {
  const stateDir = mkdtempSync(join(tmpdir(), `leveler-replication-${nodes}-`));
  let broker: EnsuredBroker | undefined;
  try {
    // A private broker either way: the machine's RabbitMQ serves other work and would blur the figures.
    broker = await ensureBroker(`amqp://127.0.0.1:${await freePort()}`, {
      stateDir,
      mayStartPrivate: true,
      nodes,
      log: () => undefined,
    });
    const platform = await startBenchPlatform({
      root: ROOT,
      amqpUrl: broker.url,
      logFile: join(stateDir, "platform.log"),
    });
    try {
      const before = cpuSnapshot();
      const started = (await platform.status()).events.processed;
      const result = await load({
        url: `${platform.ingressUrl}/events/com.example.order.created`,
        body: JSON.stringify({
          orderId: "o-1",
          currency: "EUR",
          items: [{ sku: "A", quantity: 2, unitPrice: 9.5 }],
        }),
        contentType: "application/json",
        connections: CONNECTIONS,
        durationS: SECONDS,
      });
      const accepted = result.requests - result.non2xx - result.errors;
      // Until the queue is drained: processing costs count too.
      const deadline = Date.now() + 300_000;
      let processed = 0;
      while (Date.now() < deadline) {
        processed = (await platform.status()).events.processed - started;
        if (processed >= accepted) break;
        await sleep(250);
      }
      const cpu = cpuSeconds(before, cpuSnapshot());
      return {
        nodes,
        accepted,
        refused: result.non2xx + result.errors,
        acceptRate: accepted / result.durationS,
        processed,
        brokerMs: (cpu.broker * 1000) / Math.max(1, processed),
        platformMs: (cpu.platform * 1000) / Math.max(1, processed),
      };
    } finally {
      await platform.stop();
    }
  } finally {
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const results: Figures[] = [];
for (let t = 0; t < TRIALS; t++) {
  for (const nodes of [1, 3]) {
    process.stderr.write(`trial ${t + 1}: ${nodes} node(s)…\n`);
    results.push(await trial(nodes));
  }
}

const mean = (nodes: number, key: keyof Figures) => {
  const rows = results.filter((r) => r.nodes === nodes);
  return rows.reduce((s, r) => s + r[key], 0) / rows.length;
};
console.log(
  `\nreplication cost — ${machine()}; ${SECONDS} s closed loop, ${CONNECTIONS} connections, ${TRIALS} trial(s), order events\n`,
);
console.log(
  "| nodes | accepted | refused | accept rate /s | processed | CPU ms/event: RabbitMQ | platform | total |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results)
  console.log(
    `| ${r.nodes} | ${r.accepted} | ${r.refused} | ${fmt(r.acceptRate)} | ${r.processed} | ${fmt(r.brokerMs, 3)} | ${fmt(r.platformMs, 3)} | ${fmt(r.brokerMs + r.platformMs, 3)} |`,
  );
const total = (n: number) => mean(n, "brokerMs") + mean(n, "platformMs");
console.log(
  `\n3 nodes ÷ 1 node: accept rate × ${fmt(mean(3, "acceptRate") / mean(1, "acceptRate"), 2)}, ` +
    `CPU per event × ${fmt(total(3) / total(1), 2)} (RabbitMQ × ${fmt(mean(3, "brokerMs") / mean(1, "brokerMs"), 2)})`,
);
