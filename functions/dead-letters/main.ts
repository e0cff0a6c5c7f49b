/** The dead-letter sink's process: configuration, the parked queue, the Broker sink, serve. */
import { ReconnectingConnection } from "../../lib/amqp-connection.js";
import { AmqpSink } from "../../lib/amqp-sink.js";
import { HttpSink } from "../../lib/http-sink.js";
import type { Sink } from "../../lib/sink.js";
import { honoListener } from "../../lib/runtime/hono-listener.js";
import { runFunction } from "../../lib/runtime/run.js";
import { httpServerSpans } from "../../lib/runtime/tracing.js";
import { createDeadLettersApp } from "./app.js";
import { tokenSource } from "./auth.js";
import { readDeadLettersConfig } from "./config.js";
import { ParkedQueue, checkQueue } from "./parked-queue.js";

runFunction("dead-letters", readDeadLettersConfig, (config, { meter, telemetry, log }) => {
  // Ready while connected to RabbitMQ (the activator holds requests meanwhile). A missing queue
  // does not hold readiness back: each dead letter is then answered 503, quickly, and the
  // sender retries (a revision that never became ready would fail its progress deadline).
  const connection = new ReconnectingConnection({
    url: config.amqpUrl,
    name: `${config.service} dead letters`,
    log,
    setup: (c) => checkQueue(c, config.queue, log),
  });
  void connection.start();
  const store = new ParkedQueue({ connection, queue: config.queue, maxScan: config.maxScan });
  // Replays go to the Broker as the ingress's events do: K_SINK (a SinkBinding) on Knative,
  // the exchange over AMQP locally. Without either, parking works and replay answers 503.
  let replaySink: Sink | undefined;
  if (config.sinkUrl) replaySink = new HttpSink({ url: config.sinkUrl });
  else if (config.exchange)
    replaySink = new AmqpSink({ connection, exchange: config.exchange, log });
  else log("no K_SINK or BROKER_EXCHANGE: dead letters are parked, replay is unavailable");

  const parked = meter.createCounter("leveler.dead_letters.parked", {
    description: "Dead letters parked (publisher-confirmed) in the dead-letter queue",
  });
  const app = createDeadLettersApp({
    store,
    queue: config.queue,
    token: tokenSource(config.token, config.tokenFile),
    replaySink,
    maxEventBytes: config.maxEventBytes,
    maxLimit: config.maxLimit,
    onParked: (type) => parked.add(1, { "cloudevents.event_type": type }),
  });
  return {
    listener: honoListener(app, httpServerSpans(telemetry, { startsTraces: false })),
    ready: () => store.available,
    onShutdown: async () => {
      await replaySink?.close();
      await store.close();
      await connection.stop();
    },
  };
});
