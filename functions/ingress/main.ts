/** The ingress function's process: configuration, sink, metrics, then serve. */
import { AmqpSink } from "../../lib/amqp-sink.js";
import { HttpSink } from "../../lib/http-sink.js";
import type { Sink } from "../../lib/sink.js";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";
import { runFunction } from "../../lib/runtime/run.js";
import { honoListener } from "../../lib/runtime/hono-listener.js";
import {
  httpServerSpans,
  publishInSpan,
  withoutClientTraceContext,
} from "../../lib/runtime/tracing.js";
import { createIngressApp } from "./app.js";
import { readIngressConfig } from "./config.js";

/** The ingress is the edge: the one place traces start (its SDK loads at start; run.ts). */
const EDGE = { startsTraces: true };

runFunction(
  "ingress",
  readIngressConfig,
  (config, { meter, telemetry, log }) => {
    let sink: Sink;
    if (config.sinkUrl) {
      sink = new HttpSink({ url: config.sinkUrl });
    } else {
      if (!config.exchange)
        throw new Error(
          "set K_SINK to the broker's http(s) address, or AMQP_URL and BROKER_EXCHANGE to publish over AMQP",
        );
      sink = new AmqpSink({
        connection: { url: config.amqpUrl, name: `${config.service} ingress`, log },
        exchange: config.exchange,
        log,
      });
    }
    const accepted = meter.createCounter("leveler.ingress.events.accepted", {
      description: "Events the broker confirmed (answered 202)",
    });
    const rejected = meter.createCounter("leveler.ingress.events.rejected", {
      description: "Requests answered with an error, by reason",
    });
    const app = createIngressApp({
      sink,
      registry: createEventRegistry(schemas),
      maxEventBytes: config.maxEventBytes,
      maxBatchBytes: config.maxBatchBytes,
      maxAttributeBytes: config.maxAttributeBytes,
      source: config.source,
      // One span per request: the publish is described on the server span, whose context the
      // events carry into the broker (tracing.ts, publishInSpan).
      aroundSend: (events, send) =>
        publishInSpan(
          telemetry,
          withoutClientTraceContext(events),
          send,
          config.exchange ?? config.sinkUrl ?? "broker",
        ),
      counters: {
        accepted: (type, n) => accepted.add(n, { "cloudevents.event_type": type }),
        rejected: (reason, status) =>
          rejected.add(1, { reason, "http.response.status_code": status }),
      },
    });
    return {
      listener: honoListener(app, httpServerSpans(telemetry, EDGE)),
      ready: () => sink.available,
      onShutdown: () => sink.close(),
    };
  },
  EDGE,
);
