/**
 * The document `GET /api/status` serves: the broker, every Trigger with its queue and dispatcher,
 * the dead-letter queues, every function with its replicas and autoscaler, and event counts.
 * Clients (tests, benchmarks, `leveler observe`) read it; keep its fields stable.
 */
import type { ScaleEvent } from "../serving/local-service.js";
import type { SamplerStatus } from "../telemetry/sampler-status.js";

export interface PlatformStatus {
  broker: { url: string; connected: boolean; privateNode: string | null };
  /** Each Broker's exchange in RabbitMQ, for tools that watch it (benchmarks, taps). */
  brokers: { name: string; namespace: string; exchange: string; deadLetterQueue: string }[];
  telemetry: SamplerStatus;
  events: {
    accepted: number;
    processed: number;
    deadLettered: number;
    byType: Record<string, EventCounts>;
  };
  triggers: {
    name: string;
    broker: string;
    filter: Record<string, string>;
    subscriber: string;
    queue: string;
    queueDepth: number | null;
    parallelism: number;
    dispatcher: Record<string, unknown>;
  }[];
  deadLetterQueues: { queue: string; depth: number | null; sink: string | null }[];
  functions: {
    name: string;
    url: string;
    replicas: number;
    ready: number;
    desired: number;
    inFlight: number;
    waiting: number;
    panic: boolean;
    lastScale: ScaleEvent | null;
    scaling: {
      minScale: number;
      maxScale: number;
      targetPerReplica: number;
      containerConcurrency: number;
    };
    restarts: number;
    processes: { pid: number | null; state: string; url: string; metricsUrl: string }[];
  }[];
}

export interface EventCounts {
  accepted: number;
  processed: number;
  deadLettered: number;
}
