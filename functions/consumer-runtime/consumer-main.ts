/** What a consumer function's main calls: config, metrics, the core and its HTTP adapter, serve. */
import {
  readFunctionConfig,
  readNumber,
  readString,
  ConfigError,
  type FunctionConfig,
} from "../../lib/runtime/config.js";
import { createConsumer, type Outcome } from "./consumer.js";
import { consumerListener } from "./consumer-http.js";
import { HttpSink } from "../../lib/http-sink.js";
import { runFunction } from "../../lib/runtime/run.js";
import { SECONDS_BUCKETS } from "../../lib/runtime/duration-buckets.js";
import { processInSpan, replyTraceContext } from "./consumer-tracing.js";
import { simulateWork, type WorkShape } from "./work.js";
import type { CloudEvent } from "cloudevents";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";

export interface ConsumerDefinition {
  name: string;
  type: string;
  shape: WorkShape;
  /** Default `WORK_MS`. */
  workMs: number;
  /**
   * The business logic, given valid data (the ingress validated it). A Knative Functions style
   * `handle(context, event)` plugs in through `fromHandler` (knative-handler.ts).
   */
  process: (
    event: CloudEvent<unknown>,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

interface ConsumerConfig extends FunctionConfig {
  workMs: number;
  failRate: number;
  shape: WorkShape;
  idempotency: { maxEntries: number; ttlMs: number };
  maxBodyBytes: number;
  /** `K_DEAD_LETTER_SINK`: where refused events go before the 400 (the dead-letters Service). */
  deadLetterSink: string | undefined;
  deadLetterTimeoutMs: number;
}

export function runConsumer(definition: ConsumerDefinition): void {
  const readConfig = (): ConsumerConfig => {
    const env = process.env;
    const shape = readString(env, "WORK_SHAPE", definition.shape);
    if (shape !== "cpu" && shape !== "io")
      throw new ConfigError(`WORK_SHAPE=${JSON.stringify(shape)} must be "cpu" or "io"`);
    const deadLetterSink = env.K_DEAD_LETTER_SINK || undefined;
    if (deadLetterSink !== undefined && !/^https?:\/\//.test(deadLetterSink))
      throw new ConfigError(
        `K_DEAD_LETTER_SINK=${JSON.stringify(deadLetterSink)} is not an http(s) URL`,
      );
    return {
      ...readFunctionConfig(env, definition.name),
      workMs: readNumber(env, "WORK_MS", definition.workMs, { min: 0 }),
      failRate: readNumber(env, "FAIL_RATE", 0, { min: 0, max: 1 }),
      shape,
      idempotency: {
        maxEntries: readNumber(env, "IDEMPOTENCY_MAX_ENTRIES", 100_000, { min: 1, integer: true }),
        ttlMs: readNumber(env, "IDEMPOTENCY_TTL_MS", 3_600_000, { min: 1 }),
      },
      // The ingress's limit on one event's data, plus the envelope a structured delivery adds.
      maxBodyBytes:
        readNumber(env, "MAX_EVENT_BYTES", 256 * 1024, { min: 1, integer: true }) + 16 * 1024,
      deadLetterSink,
      deadLetterTimeoutMs: readNumber(env, "DEAD_LETTER_TIMEOUT_MS", 10_000, { min: 1 }),
    };
  };
  runFunction(definition.name, readConfig, (config, { meter, telemetry, log }) => {
    const deliveries = meter.createCounter("leveler.consumer.deliveries", {
      description:
        "Deliveries received; duplicate ones are answered from the record without running the work",
    });
    const registry = createEventRegistry(
      schemas.filter((schema) => schema.$id === definition.type),
    );
    // The unit in the name: the Prometheus exporter writes names as given (metric-units.test.ts).
    const duration = meter.createHistogram("leveler.consumer.process.duration_seconds", {
      unit: "s",
      description: "Time to process one delivered event",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
    const handle = (event: CloudEvent<unknown>): Promise<Outcome> =>
      processInSpan(telemetry, event, async () => {
        await simulateWork({ ms: config.workMs, shape: config.shape, failRate: config.failRate });
        return { kind: "processed", result: await definition.process(event) };
      });
    // Refused events go to the dead-letter sink before the 400: eventing-rabbitmq acks a 400 as
    // delivered, so without this a refused event would vanish on a cluster.
    const deadLetters = config.deadLetterSink
      ? new HttpSink({ url: config.deadLetterSink, timeoutMs: config.deadLetterTimeoutMs })
      : undefined;
    if (!deadLetters)
      log("K_DEAD_LETTER_SINK is not set: a refused event is answered 400 and kept nowhere");
    const consume = createConsumer({
      type: definition.type,
      source: `/leveler/${config.service}`,
      handle,
      onOutcome: (outcome, seconds) =>
        duration.record(seconds, { "cloudevents.event_type": definition.type, outcome }),
      replyExtensions: () => replyTraceContext(telemetry),
      validate: registry.has(definition.type)
        ? (data) => registry.validate(definition.type, data)
        : undefined,
      idempotency: config.idempotency,
      onDelivery: (kind) =>
        deliveries.add(1, { "cloudevents.event_type": definition.type, delivery: kind }),
      deadLetter: deadLetters ? (event) => deadLetters.send([event]) : undefined,
    });
    return {
      listener: consumerListener(consume, { maxBodyBytes: config.maxBodyBytes, telemetry }),
      onShutdown: () => deadLetters?.close() ?? Promise.resolve(),
    };
  });
}
