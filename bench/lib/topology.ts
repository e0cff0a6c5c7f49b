/**
 * A bench-only copy of the manifests' topology under a fresh instance id: the real exchanges and
 * quorum queues, with nothing consuming them, deleted at the end.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import amqp from "amqplib";
import {
  declareTopology,
  deleteTopology,
  planTopology,
  type TopologyPlan,
} from "../../platform/broker/topology.js";
import type { PlatformConfig } from "../../platform/config.js";
import { loadManifests, type Manifests } from "../../platform/manifests.js";
import { canConnect } from "../../platform/rabbitmq.js";
import { startProcess } from "./process.js";

/** The ingress as a process publishing into this topology, with its Service's env from the manifest (heap caps included), as it would deploy. */
export function startBenchIngress(
  config: PlatformConfig,
  topology: BenchTopology,
  ports: { port: number; metricsPort: number },
  env: Record<string, string> = {},
): ChildProcess {
  return startProcess(
    join(config.distDir, "functions", "ingress.js"),
    benchIngressEnv(config, topology, ports, env),
  );
}

/** The environment startBenchIngress gives the ingress. */
export function benchIngressEnv(
  config: PlatformConfig,
  topology: BenchTopology,
  ports: { port: number; metricsPort: number },
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    ...topology.manifests.services.find((s) => s.name === "ingress")?.env,
    PORT: String(ports.port),
    METRICS_PORT: String(ports.metricsPort),
    AMQP_URL: config.amqpUrl,
    BROKER_EXCHANGE: topology.exchange,
    K_SINK: "",
    ...env,
  };
}

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
    console.error(
      `bench: RabbitMQ does not answer at ${config.amqpUrl}; start it (rabbitmq-server -detached) or set AMQP_URL`,
    );
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
