/**
 * The spans leveler makes by hand, named and attributed after OpenTelemetry's HTTP and messaging
 * semantic conventions, and the trace context they carry: W3C `traceparent`/`tracestate` in HTTP
 * headers and, as the CloudEvents Distributed Tracing extension, in the event itself (so in AMQP
 * headers too). Every helper does nothing when tracing is off.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from "@opentelemetry/api";
import type { CloudEvent } from "cloudevents";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Telemetry } from "./telemetry.js";

export type Carrier = Record<string, string | undefined>;

const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => carrier[key],
};

/** The context a carrier's `traceparent`/`tracestate` describe, or the root context. */
export function extractContext(carrier: Carrier): Context {
  return carrier.traceparent ? propagation.extract(ROOT_CONTEXT, carrier, getter) : ROOT_CONTEXT;
}

/** `traceparent` (and `tracestate`) for a context: HTTP headers or CloudEvent extensions. */
export function injectContext(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return out;
}

/** Ends a span with an error status and the exception recorded. */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
}

export interface ServerSpanOptions {
  /**
   * Whether a request without a trace context starts a trace (the ingress: the system's edge).
   * Other functions only continue traces: a request that carries none costs them nothing.
   */
  startsTraces: boolean;
}

/**
 * A SERVER span around each request of a function's app, parented to the request's W3C
 * `traceparent`, current while the handler runs. Named `<method> <route>` (HTTP semconv).
 *
 * An unsampled request goes through untouched: no context is entered or propagated, so the
 * events it publishes carry none and every later hop skips them as cheaply as at ratio 0. The
 * trace is still dropped as a whole, since only the edge starts traces.
 */
export function httpServerSpans(
  telemetry: Telemetry,
  options: ServerSpanOptions,
): MiddlewareHandler {
  return async (c, next) => {
    if (!telemetry.active) return next();
    const traceparent = c.req.header("traceparent");
    if (traceparent === undefined && !options.startsTraces) return next();
    const parent =
      traceparent === undefined
        ? ROOT_CONTEXT
        : extractContext({ traceparent, tracestate: c.req.header("tracestate") });
    const method = c.req.method;
    const span = telemetry.tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    if (!span.isRecording()) return next();
    span.setAttributes({
      "http.request.method": method,
      "url.path": c.req.path,
      "url.scheme": "http",
    });
    try {
      await context.with(trace.setSpan(parent, span), next);
      const route = routePath(c, -1);
      span.updateName(`${method} ${route.replace(/:(\w+)/g, "{$1}")}`);
      span.setAttribute("http.route", route);
      span.setAttribute("http.response.status_code", c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  };
}

/** Whether the current context holds a span being recorded (a sampled trace). */
export function inRecordedTrace(telemetry: Telemetry): boolean {
  return telemetry.active && trace.getActiveSpan()?.isRecording() === true;
}

/**
 * A PRODUCER span `publish <exchange>` around `send`, with each event stamped with its context
 * (the extension's `traceparent`), so whoever takes an event from the broker continues this
 * trace. Only inside a recorded trace: otherwise the events go as they are. One span per send,
 * batch or not.
 */
export async function publishSpan<T>(
  telemetry: Telemetry,
  destination: string,
  events: readonly CloudEvent<unknown>[],
  send: (events: CloudEvent<unknown>[]) => Promise<T>,
): Promise<T> {
  if (!inRecordedTrace(telemetry)) return send(events as CloudEvent<unknown>[]);
  const span = telemetry.tracer.startSpan(`publish ${destination}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "send",
      "messaging.operation.name": "publish",
      "messaging.destination.name": destination,
      ...(events.length === 1
        ? {
            "messaging.message.id": events[0]!.id,
            "cloudevents.event_id": events[0]!.id,
            "cloudevents.event_type": events[0]!.type,
          }
        : { "messaging.batch.message_count": events.length }),
    },
  });
  const extensions = injectContext(trace.setSpan(context.active(), span));
  // A client's own `traceparent` on the event is replaced: the event becomes durable here, and
  // the trace to follow through the broker is this one (the client's reaches us as the parent
  // through the HTTP traceparent header).
  const stamped = events.map((e) =>
    e.cloneWith({ traceparent: extensions.traceparent, tracestate: extensions.tracestate }, false),
  );
  try {
    return await send(stamped);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}
