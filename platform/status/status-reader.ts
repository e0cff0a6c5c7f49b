/**
 * Reads the running platform for its three reports: the timeline's readings (timeline.ts), the
 * status document (`GET /api/status`, built from the latest reading and what the platform holds in
 * memory) and the replica gauges (`GET /metrics`). It only reads: dispatcher totals, queue depths,
 * replica states, and the ingress's and every process's metrics.
 */
import { redact } from "../../lib/amqp-connection.js";
import type { Eventing } from "../broker/eventing.js";
import type { TopologyPlan } from "../broker/topology.js";
import type { Manifests } from "../manifests.js";
import { runningReplicas, type LocalServing } from "../serving/local-serving.js";
import { samplerStatus } from "../telemetry/sampler-status.js";
import { sumCounts, total } from "./counts.js";
import { IngressCounters } from "./ingress-counters.js";
import type { FunctionGauge } from "./platform-metrics.js";
import type { SamplerStatus } from "../telemetry/sampler-status.js";
import type { EventCounts, PlatformStatus } from "./status-document.js";
import type { TimelineReading } from "./timeline.js";

export interface StatusReaderOptions {
  manifests: Manifests;
  plan: TopologyPlan;
  eventing: Eventing;
  serving: LocalServing;
}

export class StatusReader {
  private readonly ingress = new IngressCounters();

  constructor(private readonly options: StatusReaderOptions) {}

  /** The status document from a timeline reading (Timeline.current) and the platform's own state. */
  status(reading: TimelineReading, sampler: SamplerStatus | undefined): PlatformStatus {
    const { plan, eventing, serving } = this.options;
    const accepted = reading.acceptedByType;
    const totals = eventing.triggers.map((t) => t.dispatcher.totals());
    const processed = sumCounts(totals.map((t) => t.processed));
    const deadLettered = sumCounts(totals.map((t) => t.deadLettered));
    const types = new Set([
      ...Object.keys(accepted),
      ...Object.keys(processed),
      ...Object.keys(deadLettered),
    ]);
    const byType: Record<string, EventCounts> = {};
    for (const type of [...types].sort())
      byType[type] = {
        accepted: accepted[type] ?? 0,
        processed: processed[type] ?? 0,
        deadLettered: deadLettered[type] ?? 0,
      };

    return {
      broker: {
        url: redact(eventing.amqpUrl),
        connected: eventing.isConnected,
        privateNode: eventing.privateNode,
      },
      brokers: plan.brokers.map((b) => ({
        name: b.broker.name,
        namespace: b.broker.namespace,
        exchange: b.exchange,
        deadLetterQueue: b.deadLetterQueue,
      })),
      telemetry: sampler ?? { samplerRatio: null, applied: {} },
      events: {
        accepted: total(accepted),
        processed: total(processed),
        deadLettered: total(deadLettered),
        byType,
      },
      triggers: eventing.triggers.map((t) => {
        const totals = t.dispatcher.totals();
        return {
          name: t.plan.trigger.name,
          broker: t.plan.trigger.broker,
          filter: t.plan.trigger.filter,
          subscriber: t.subscriberUrl,
          queue: t.plan.queue,
          queueDepth: reading.queues[t.plan.trigger.name] ?? null,
          parallelism: t.plan.trigger.parallelism,
          dispatcher: {
            metricsUrl: t.dispatcher.runner.metricsUrl ?? null,
            pid: totals.pid ?? null,
            connected: totals.connected,
            inFlight: totals.inFlight,
            // Backlog-driven delivery: consumers on the queue (KEDA's replicas) and their bound.
            backlogDriven: t.plan.trigger.backlog !== undefined,
            replicas: totals.replicas,
            inFlightBound: totals.inFlightBound,
            retries: totals.retries,
            replies: totals.replies,
            restarts: totals.restarts,
          },
        };
      }),
      deadLetterQueues: eventing.deadLetterQueueNames().map((queue) => ({
        queue,
        depth: reading.deadLetterQueues[queue] ?? null,
        sink: eventing.deadLetterDispatchers.find((d) => d.queue === queue)?.sink ?? null,
      })),
      functions: serving.all().map((s) => ({
        name: s.name,
        url: s.front.url,
        replicas: runningReplicas(s).length,
        ready: s.runner.readyReplicas.length,
        desired: s.runner.desired,
        inFlight: s.front.inFlight,
        waiting: s.front.waiting,
        panic: s.lastDecision?.panic ?? false,
        lastScale: s.lastScale ?? null,
        scaling: {
          minScale: s.scaling.minScale,
          maxScale: s.scaling.maxScale,
          targetPerReplica: s.scaling.targetPerReplica,
          containerConcurrency: s.scaling.containerConcurrency,
        },
        restarts: s.runner.restartCount,
        processes: s.runner.replicas.map((r) => ({
          pid: r.process.pid ?? null,
          state: r.state,
          url: r.url,
          metricsUrl: r.metricsUrl,
        })),
      })),
    };
  }

  /** One reading for the timeline: cumulative counts, queue depths and replicas right now. */
  async timelineReading(withRatio: boolean): Promise<TimelineReading> {
    const { manifests, eventing, serving } = this.options;
    await this.ingress.scrape(serving.publicServices());
    // The event consumers: the Services a Trigger delivers to (not the ingress, not the
    // dead-letter sink, which the Broker's delivery names rather than a Trigger).
    const processed: Record<string, number> = {};
    for (const spec of manifests.services)
      if (
        manifests.triggers.some(
          (t) =>
            t.subscriber.ref?.kind === "Service" &&
            t.subscriber.ref.name === spec.name &&
            t.subscriber.ref.namespace === spec.namespace,
        )
      )
        processed[spec.name] = 0;
    let deadLettered = 0;
    for (const t of eventing.triggers) {
      const totals = t.dispatcher.totals();
      // Rates are per consumer function: a Trigger that names no Service counts under its own name.
      const subscriber =
        t.plan.trigger.subscriber.ref?.kind === "Service"
          ? t.plan.trigger.subscriber.ref.name
          : t.plan.trigger.name;
      processed[subscriber] = (processed[subscriber] ?? 0) + total(totals.processed);
      deadLettered += total(totals.deadLettered);
    }
    const connectedBefore = eventing.isConnected;
    const [depthsRead, dlqDepthsRead, sampler] = await Promise.all([
      Promise.all(eventing.triggers.map((t) => eventing.queueDepth(t.plan.queue))),
      Promise.all(eventing.deadLetterQueueNames().map((q) => eventing.queueDepth(q))),
      withRatio ? samplerStatus(this.metricsUrls()) : undefined,
    ]);
    // One reading, one state of the broker: a connection lost while the depths were read makes
    // them unknown, not a count from before the outage beside "RabbitMQ is down".
    const brokerConnected = connectedBefore && eventing.isConnected;
    const unknown = (depths: (number | null)[]) => depths.map((d) => (brokerConnected ? d : null));
    const queueDepths = unknown(depthsRead);
    const dlqDepths = unknown(dlqDepthsRead);
    const queues: Record<string, number | null> = {};
    eventing.triggers.forEach((t, i) => (queues[t.plan.trigger.name] = queueDepths[i] ?? null));
    const deadLetterQueues: Record<string, number | null> = {};
    eventing.deadLetterQueueNames().forEach((q, i) => (deadLetterQueues[q] = dlqDepths[i] ?? null));
    const replicas: Record<string, number> = {};
    for (const s of serving.all()) replicas[s.name] = runningReplicas(s).length;
    const delivering: Record<string, { inFlight: number; bound: number }> = {};
    for (const t of eventing.triggers) {
      const { inFlight, inFlightBound } = t.dispatcher.totals();
      delivering[t.plan.trigger.name] = { inFlight, bound: inFlightBound };
    }
    const acceptedByType = this.ingress.accepted();
    return {
      delivering,
      accepted: total(acceptedByType),
      acceptedByType,
      refused: this.ingress.refused(),
      processed,
      deadLettered,
      queues,
      replicas,
      deadLetters: dlqDepths.includes(null) ? null : total(dlqDepths as number[]),
      deadLetterQueues,
      ...(sampler ? { sampler } : {}),
      brokerConnected,
    };
  }

  /** What the replica gauges report, synchronously. */
  functionGauges(): FunctionGauge[] {
    return this.options.serving.all().map((s) => ({
      name: s.name,
      replicas: runningReplicas(s).length,
      ready: s.runner.readyReplicas.length,
      desired: s.runner.desired,
      inFlight: s.front.inFlight,
    }));
  }

  /**
   * Every ready replica's and every Trigger dispatcher process's metrics endpoint (for the
   * sampler ratio); Triggers that share a process share its endpoint.
   */
  private metricsUrls(): string[] {
    const { eventing, serving } = this.options;
    return [
      ...serving.all().flatMap((s) => s.runner.readyReplicas.map((r) => r.metricsUrl)),
      ...eventing.triggerRunners().flatMap((r) => r.metricsUrl ?? []),
    ];
  }
}
