import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp, { type ChannelModel } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerSpec, Manifests, TriggerSpec } from "../manifests.js";
import {
  deletionLine,
  pruneRemovedTriggers,
  recordOf,
  staleResources,
  type TopologyRecord,
} from "./removed-triggers.js";
import { declareTopology, deleteTopology, planTopology, type TopologyPlan } from "./topology.js";

const broker: BrokerSpec = {
  kind: "Broker",
  name: "default",
  namespace: "leveler",
  file: "broker.yaml",
  brokerClass: "RabbitMQBroker",
  queueType: "classic",
  delivery: undefined,
};
const trigger = (name: string, withSink = false): TriggerSpec => ({
  kind: "Trigger",
  name,
  namespace: "leveler",
  file: "triggers.yaml",
  broker: "default",
  filter: { type: `com.example.${name}` },
  subscriber: { uri: "http://127.0.0.1:1/" },
  delivery: withSink ? { deadLetterSink: { uri: "http://127.0.0.1:1/dead" } } : undefined,
  parallelism: 1,
  cpuRequestMillis: undefined,
});
const manifests = (triggers: TriggerSpec[]): Manifests => ({
  services: [],
  brokers: [broker],
  triggers,
  sinkBindings: [],
  queuePolicies: [],
  queues: [],
  rabbitmqClusters: [],
  configMaps: new Map(),
  warnings: [],
});
const plan = (uid: string, ...triggers: TriggerSpec[]) => planTopology(manifests(triggers), uid);

describe("which resources of removed Triggers go", () => {
  const before = recordOf(plan("u1", trigger("order"), trigger("old"), trigger("audit", true)));

  it("the queue of a Trigger no longer in the manifests", () => {
    expect(staleResources(before, plan("u1", trigger("order"), trigger("audit", true)))).toEqual({
      queues: ["leveler.old.u1"],
      exchanges: [],
    });
  });
  it("with its own dead-letter exchange and queue", () => {
    expect(staleResources(before, plan("u1", trigger("order"), trigger("old")))).toEqual({
      queues: ["leveler.audit.u1", "t.leveler.audit.dlq.u1"],
      exchanges: ["t.leveler.audit.dlx.u1"],
    });
  });
  it("a kept Trigger that no longer has a deadLetterSink loses its dead-letter queue only", () => {
    expect(
      staleResources(before, plan("u1", trigger("order"), trigger("old"), trigger("audit"))),
    ).toEqual({ queues: ["t.leveler.audit.dlq.u1"], exchanges: ["t.leveler.audit.dlx.u1"] });
  });
  it("nothing on a first start, or from another instance's record", () => {
    expect(staleResources(undefined, plan("u1"))).toEqual({ queues: [], exchanges: [] });
    expect(staleResources(before, plan("u2"))).toEqual({ queues: [], exchanges: [] });
  });
  it("nothing that does not follow this instance's Trigger naming", () => {
    const forged: TopologyRecord = {
      uid: "u1",
      triggers: [
        { namespace: "leveler", name: "x", queue: "b.leveler.default.dlq.u1" },
        { namespace: "leveler", name: "y", queue: "leveler.y.u2" },
        { namespace: "leveler", name: "z", queue: "important", deadLetterQueue: "precious" },
      ],
    };
    expect(staleResources(forged, plan("u1"))).toEqual({ queues: [], exchanges: [] });
  });
  it("one line: which queues, how many messages", () => {
    expect(deletionLine([])).toBeUndefined();
    expect(
      deletionLine([
        { queue: "leveler.old.u1", messages: 3 },
        { queue: "leveler.gone.u1", messages: 0 },
      ]),
    ).toBe(
      "deleted the queues of Triggers no longer in the manifests, as a cluster deletes a Trigger's: leveler.old.u1 (3 message(s)), leveler.gone.u1 (0 message(s)); 3 message(s) dropped",
    );
  });
});

describe("a start after a Trigger left the manifests (real RabbitMQ)", () => {
  let connection: ChannelModel;
  let work: string;
  const uid = `t${randomBytes(4).toString("hex")}`;
  const plans: TopologyPlan[] = [];

  beforeAll(async () => {
    connection = await amqp.connect("amqp://guest:guest@127.0.0.1:5672");
    work = mkdtempSync(join(tmpdir(), "leveler-prune-"));
  });
  afterAll(async () => {
    const channel = await connection.createChannel();
    channel.on("error", () => undefined);
    for (const p of plans) await deleteTopology(channel, p).catch(() => undefined);
    await connection.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("deletes its queue and binding, says so with the message count, and touches nothing else", async () => {
    const recordFile = join(work, "topology", `${uid}.json`);
    const lines: string[] = [];
    const start = async (p: TopologyPlan) => {
      plans.push(p);
      await declareTopology(connection, p);
      return pruneRemovedTriggers(connection, p, { recordFile, log: (l) => lines.push(l) });
    };
    const first = plan(uid, trigger("order"), trigger("old"));
    expect(await start(first)).toEqual([]);
    expect(lines).toEqual([]);

    const channel = await connection.createConfirmChannel();
    const exchange = first.brokers[0]!.exchange;
    const publish = async (type: string) => {
      channel.publish(exchange, "", Buffer.from("{}"), { headers: { type } });
      await channel.waitForConfirms();
    };
    for (let i = 0; i < 3; i++) await publish("com.example.old");
    // A queue of another instance that looks like a Trigger queue is not this instance's.
    const foreign = `leveler.old.${uid}x`;
    await channel.assertQueue(foreign, { durable: false, autoDelete: false });

    const second = plan(uid, trigger("order"));
    expect(await start(second)).toEqual([{ queue: `leveler.old.${uid}`, messages: 3 }]);
    expect(lines).toEqual([expect.stringContaining(`leveler.old.${uid} (3 message(s))`)]);
    const gone = await connection.createChannel();
    gone.on("error", () => undefined);
    await expect(gone.checkQueue(`leveler.old.${uid}`)).rejects.toThrow(/NOT_FOUND/);
    expect((await channel.checkQueue(`leveler.order.${uid}`)).messageCount).toBe(0);
    expect((await channel.checkQueue(foreign)).queue).toBe(foreign);
    // The record now holds this start's Triggers: the next start deletes nothing.
    expect(JSON.parse(readFileSync(recordFile, "utf8"))).toEqual(recordOf(second));
    expect(await start(second)).toEqual([]);
    expect(lines).toHaveLength(1);

    await channel.deleteQueue(foreign);
    await channel.close();
  });

  it("an unreadable record deletes nothing", async () => {
    const recordFile = join(work, "broken.json");
    writeFileSync(recordFile, "{ not json");
    const p = plan(uid, trigger("order"));
    plans.push(p);
    await declareTopology(connection, p);
    expect(await pruneRemovedTriggers(connection, p, { recordFile, log: () => undefined })).toEqual(
      [],
    );
    expect(JSON.parse(readFileSync(recordFile, "utf8"))).toEqual(recordOf(p));
  });
});
