/**
 * A dispatcher's Prometheus metrics, by Trigger: deliveries (by HTTP status), retries, dead
 * letters, processing time per message (`messaging.process.duration`, messaging semconv) and its
 * queue's depth, read from RabbitMQ when scraped. Duration names end in `_seconds`: the Prometheus
 * exporter does not add a unit suffix itself (lib/runtime/metric-units.test.ts).
 */
import type { Meter } from "@opentelemetry/api";
import { SECONDS_BUCKETS } from "../../lib/runtime/duration-buckets.js";

export interface DispatcherMetrics {
  delivered(type: string, status: number | undefined): void;
  retried(type: string): void;
  deadLettered(type: string): void;
  /** A message settled (or given up on), `seconds` after it was taken. */
  handled(type: string, outcome: string, seconds: number): void;
}

export interface DispatcherMetricsOptions {
  meter: Meter;
  trigger: string;
  queue: string;
  /** Messages ready in the queue, or undefined while it cannot be asked. */
  queueDepth: () => Promise<number | undefined>;
}

export function createDispatcherMetrics(options: DispatcherMetricsOptions): DispatcherMetrics {
  const { meter, trigger, queue } = options;
  const base = {
    "leveler.trigger": trigger,
    "messaging.destination.name": queue,
    "messaging.system": "rabbitmq",
  };
  const deliveries = meter.createCounter("leveler.dispatcher.deliveries", {
    description: "HTTP deliveries to the subscriber, by status (0 = no answer)",
  });
  const retries = meter.createCounter("leveler.dispatcher.retries", {
    description: "Deliveries that were attempts after the first",
  });
  const deadLetters = meter.createCounter("leveler.dispatcher.dead_letters", {
    description: "Events sent to the dead-letter exchange",
  });
  const duration = meter.createHistogram("messaging.process.duration_seconds", {
    unit: "s",
    description: "From taking a message to settling it, retries included",
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  meter
    .createObservableGauge("leveler.dispatcher.queue.depth", {
      description: "Messages ready in the Trigger's queue",
    })
    .addCallback(async (result) => {
      // Through a promise, so that even a synchronous throw costs one missing point, not the scrape.
      const depth = await Promise.resolve()
        .then(options.queueDepth)
        .catch(() => undefined);
      if (depth !== undefined) result.observe(depth, base);
    });
  return {
    delivered: (type, status) =>
      deliveries.add(1, {
        ...base,
        "cloudevents.event_type": type,
        "http.response.status_code": status ?? 0,
      }),
    retried: (type) => retries.add(1, { ...base, "cloudevents.event_type": type }),
    deadLettered: (type) => deadLetters.add(1, { ...base, "cloudevents.event_type": type }),
    handled: (type, outcome, seconds) =>
      duration.record(seconds, {
        ...base,
        "cloudevents.event_type": type,
        "leveler.outcome": outcome,
      }),
  };
}
