/**
 * `npm run test:faults`, on a three-node RabbitMQ cluster (platform/rabbitmq-cluster.ts, the local
 * stand-in for rabbitmq-eventing/rabbitmq-cluster.yaml's three replicas): a node is lost under load
 * and the platform carries on through the others, with nothing lost and nothing executed twice.
 * Every process gets all three nodes in AMQP_URL; each connects to one and moves to another when
 * it goes. Trigger queues are quorum queues with a member on each node (RabbitMQ's default
 * initial group size of 3, as on the cluster: platform/broker/topology.ts), so they keep a majority
 * through the loss of any one node.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { connectAny } from "../../lib/amqp-connection.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "../harness.js";
import { startPrivateRabbitCluster, type PrivateRabbitCluster } from "../private-rabbit.js";
import {
  consumerDeliveries,
  expectNothingLost,
  fastRetries,
  mixed,
  oneReplica,
  settle,
  watchReplies,
} from "./kit.js";
import { Ledger, renderTable, type LedgerRow } from "./ledger.js";
import { sendWithRetries } from "./load.js";

const CONSUMERS = ["order", "payment", "notification", "report"];
const rows: LedgerRow[] = [];
/** A scenario starts a platform, runs a load through node losses and restarts, and settles. */
const SCENARIO_MS = 1_200_000;
let cluster: PrivateRabbitCluster;

/** The node that leads most of the platform's Trigger queues (the topology's declaring node, usually). */
async function triggerLeader(t: TestPlatform): Promise<{ node: number; leaders: string[] }> {
  const leaders = await Promise.all(
    t.platform.plan.triggers.map((tr) => cluster.leaderOf(tr.queue)),
  );
  const counts = cluster.nodes.map((n) => leaders.filter((l) => l === n.name).length);
  return { node: counts.indexOf(Math.max(...counts)), leaders };
}

/** Every node runs again and the cluster sees all three, before the next scenario. */
async function restoreCluster(): Promise<void> {
  for (const node of cluster.nodes) if (node.pid() === undefined) await node.start();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const running = await cluster.nodes[0]!.ctl("eval", "length(rabbit_nodes:all_running()).");
    if (Number(running.trim()) === cluster.nodes.length) return;
    if (Date.now() > deadline) throw new Error(`cluster runs ${running.trim()} nodes`);
    await sleep(1000);
  }
}

/**
 * A mixed load through the ingress; at 1,000 accepted events `fault` runs, and the load goes on
 * until 3 s after it is done. Then every accepted event must be processed, once.
 */
async function runScenario(
  name: string,
  fault: (t: TestPlatform, log: (line: string) => void) => Promise<void>,
): Promise<void> {
  const pinned = oneReplica(...CONSUMERS);
  const t = await startTestPlatform({
    env: { AMQP_URL: cluster.url },
    tapQueueType: "quorum",
    edit: (doc) => {
      fastRetries(doc);
      pinned(doc);
    },
  });
  const ledger = new Ledger(name);
  const notes: string[] = [];
  const began = Date.now();
  const mark = (what: string) =>
    notes.push(`${what} at ${((Date.now() - began) / 1000).toFixed(1)} s`);
  mark("platform up");
  try {
    // Three members for every Trigger queue, as the RabbitmqBrokerConfig's quorum queues get on a cluster.
    for (const tr of t.platform.plan.triggers)
      expect((await cluster.membersOf(tr.queue)).sort()).toEqual(
        cluster.nodes.map((n) => n.name).sort(),
      );
    await watchReplies(t, ledger);
    let faultAt = 0;
    let faultDone = 0;
    let faulting: Promise<void> | undefined;
    const result = await sendWithRetries({
      url: t.ingressUrl,
      count: 1_000_000,
      concurrency: 50,
      request: mixed,
      onAccepted: (id) => ledger.accept(id),
      until: () => faultDone > 0 && Date.now() > faultDone + 3000,
      progress: (n) => {
        if (n === 1000 && !faulting) {
          faultAt = Date.now();
          faulting = fault(t, (line) => notes.push(line)).finally(() => (faultDone = Date.now()));
        }
      },
    });
    const loadEnd = Date.now();
    mark("load done");
    await faulting;
    expect(result.gaveUp).toBe(0);
    await settle(t, ledger, 480_000);
    mark("settled");
    if (ledger.lost.length > 0) {
      // Not settled in time: say where the events are (still queued, or gone).
      const status = await t.status();
      notes.push(
        `unsettled: ${status.triggers.map((tr) => `${tr.name} depth ${tr.queueDepth} connected ${String(tr.dispatcher.connected)}`).join(", ")}`,
      );
    }
    ledger.recoveryMs = ledger.recoveryAfter(faultAt);
    ledger.acceptPauseMs = ledger.acceptPause(faultAt, loadEnd);
    const counted = await consumerDeliveries(t, CONSUMERS);
    ledger.answeredFromRecord = counted.duplicate;
    console.log(
      `${name}: ${notes.join("; ")}; answers to the client ${JSON.stringify(result.refusals)} besides ${result.accepted} × 202`,
    );
    rows.push(ledger.row());
    // Executed once: the work ran once per event that has a reply.
    expect(counted.executed).toBe(ledger.executions.size);
    expectNothingLost(ledger);
  } finally {
    await restoreCluster();
    const stopping = Date.now();
    await t.stop();
    console.log(
      `${name}: cluster restored and platform stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`,
    );
  }
}

/** Which clients hold a connection to `node` (by connection name), to show what its loss cut. */
async function clientsOf(node: number): Promise<string> {
  const port = new URL(cluster.nodes[node]!.url).port;
  // list_connections lists the whole cluster's: keep those to this node's AMQP port.
  const out = await cluster.nodes[node]!.ctl(
    "list_connections",
    "--no-table-headers",
    "port",
    "client_properties",
  );
  const lines = out.split("\n").filter((l) => l.split("\t")[0] === port);
  const names = lines.map((l) => /\{"connection_name","([^"]+)"\}/.exec(l)?.[1] ?? "?");
  return names.length ? names.join(", ") : "no client";
}

describe("faults on a three-node RabbitMQ cluster: nothing accepted is lost", () => {
  beforeAll(async () => {
    cluster = await startPrivateRabbitCluster(3);
  }, 300_000);
  afterAll(async () => {
    console.log(`\n${renderTable(rows)}\n`);
    await cluster?.stop();
  });

  it(
    "the node leading the Trigger queues is killed with SIGKILL mid-load",
    async () => {
      await runScenario("cluster: kill -9 the Trigger queues' leader", async (t, log) => {
        const { node, leaders } = await triggerLeader(t);
        log(`${cluster.nodes[node]!.name} serves ${await clientsOf(node)}`);
        await cluster.nodes[node]!.kill();
        log(`killed ${cluster.nodes[node]!.name} (leaders were ${leaders.join(", ")})`);
        // The two others carry the load alone; the node comes back only after the run settled.
        await sleep(8000);
        log(`leaders now ${(await triggerLeader(t)).leaders.join(", ")}`);
      });
    },
    SCENARIO_MS,
  );

  it(
    "one node is stopped and started again mid-load",
    async () => {
      await runScenario("cluster: stop and restart one node", async (t, log) => {
        const { node } = await triggerLeader(t);
        const victim = cluster.nodes[node]!;
        log(`${victim.name} serves ${await clientsOf(node)}`);
        await victim.stop();
        log(`stopped ${victim.name}`);
        await sleep(5000);
        await victim.start();
        log(`started ${victim.name} again`);
      });
    },
    SCENARIO_MS,
  );

  it(
    "two nodes are killed one after the other, with a restart between (a majority stays)",
    async () => {
      await runScenario("cluster: kill -9 two nodes in turn", async (t, log) => {
        for (const round of [1, 2]) {
          const { node } = await triggerLeader(t);
          const victim = cluster.nodes[node]!;
          log(`round ${round}: ${victim.name} serves ${await clientsOf(node)}`);
          await victim.kill();
          log(`round ${round}: killed ${victim.name}`);
          await sleep(5000);
          await victim.start();
          log(`round ${round}: ${victim.name} back`);
          await sleep(2000);
        }
      });
    },
    SCENARIO_MS,
  );

  it("a second start runs the same three nodes again, with what they held", async () => {
    const queue = `restart-probe-${Date.now()}`;
    const before = await connectAny(cluster.url);
    const channel = await before.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
    channel.sendToQueue(queue, Buffer.from("kept"), { persistent: true });
    await channel.waitForConfirms();
    await before.close();
    await cluster.restart();
    const running = await cluster.nodes[0]!.ctl("eval", "length(rabbit_nodes:all_running()).");
    expect(Number(running.trim())).toBe(3);
    expect(await cluster.membersOf(queue)).toHaveLength(3);
    const after = await connectAny(cluster.url);
    try {
      const ch = await after.createChannel();
      expect((await ch.checkQueue(queue)).messageCount).toBe(1);
      await ch.deleteQueue(queue);
    } finally {
      await after.close();
    }
  }, 300_000);
});
