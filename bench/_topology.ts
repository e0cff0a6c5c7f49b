/**
 * A bench-only copy of the manifests' topology under a fresh instance id: the real exchanges and
 * quorum queues, with nothing consuming them, deleted at the end.
 */
import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import { declareTopology, deleteTopology, planTopology, type TopologyPlan } from "../platform/broker/topology.js";
import type { PlatformConfig } from "../platform/config.js";
import { loadManifests, type Manifests } from "../platform/manifests.js";
import { canConnect } from "../platform/rabbitmq.js";

export interface BenchTopology {
  manifests: Manifests;
  plan: TopologyPlan;
  exchange: string;
  /** Messages waiting in every Trigger queue. */
  queueDepth: () => Promise<number>;
  purge: () => Promise<void>;
  remove: () => Promise<void>;
}

export async function benchTopology(config: PlatformConfig): Promise<BenchTopology> {
  if (!(await canConnect(config.amqpUrl))) {
    console.error(`bench: RabbitMQ does not answer at ${config.amqpUrl}; start it (rabbitmq-server -detached) or set AMQP_URL`);
    process.exit(2);
  }
  const manifests = loadManifests(config.manifestDirs);
  const plan = planTopology(manifests, `bench-${randomBytes(3).toString("hex")}`);
  const connection = await amqp.connect(config.amqpUrl);
  const channel = await connection.createChannel();
  await declareTopology(connection, plan);
  return {
    manifests,
    plan,
    exchange: plan.brokers[0]!.exchange,
    queueDepth: async () => {
      let total = 0;
      for (const t of plan.triggers) total += (await channel.checkQueue(t.queue)).messageCount;
      return total;
    },
    purge: async () => {
      for (const t of plan.triggers) await channel.purgeQueue(t.queue);
    },
    remove: async () => {
      await deleteTopology(channel, plan).catch(() => undefined);
      await connection.close();
    },
  };
}
