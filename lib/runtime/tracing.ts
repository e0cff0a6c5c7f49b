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
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";
import type { CloudEvent } from "cloudevents";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { unvalidatedClone, unvalidatedCloudEvent } from "../cloudevent-new.js";
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

/** Spans given an error status with its reason here, which a later, plainer one must not replace. */
const explained = new WeakSet<Span>();

/** An error status with its reason; a later one without (a 5xx answer's, say) leaves it be. */
export function setSpanError(span: Span, message: string): void {
  explained.add(span);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** An error status and the exception recorded. */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err as Error);
  setSpanError(span, (err as Error).message);
}

export interface ServerSpanOptions {
  /**
   * Whether this is the system's edge (the ingress): requests may start traces, and a client's
   * `traceparent` is only linked, not followed (see httpServerSpans). Other functions only
   * continue traces: a request that carries none costs them nothing.
   */
  startsTraces: boolean;
}

/**
 * A SERVER span around each request of a function, current while the handler runs. Named
 * `<method> <route>` (HTTP semconv), or `<method>` where the route is not known.
 *
 * Inside the system it is the child of the request's W3C `traceparent` and follows its sampling
 * decision (the edge made it). At the edge the decision is ours: a client's sampled flag would
 * otherwise force tracing at any ratio above 0. There the span starts a trace of its own, sampled
 * at our ratio, with a link to the client's span so the two traces can still be joined.
 *
 * An unsampled request goes through untouched: no context is entered or propagated, so the
 * events it publishes carry none and every later hop skips them as cheaply as at ratio 0. The
 * trace is still dropped as a whole, since only the edge starts traces.
 *
 * Two adapters share it: httpServerSpans (Hono middleware, which knows the matched route) and
 * nodeServerSpans (a node:http listener's, for a function served without Hono).
 */
function startServerSpan(
  telemetry: Telemetry,
  options: ServerSpanOptions,
  request: { method: string; path: string; header: (name: string) => string | undefined },
): { span: Span; context: Context } | undefined {
  if (!telemetry.active) return undefined;
  const traceparent = request.header("traceparent");
  if (traceparent === undefined && !options.startsTraces) return undefined;
  const remote =
    traceparent === undefined
      ? ROOT_CONTEXT
      : extractContext({ traceparent, tracestate: request.header("tracestate") });
  const client = options.startsTraces ? trace.getSpanContext(remote) : undefined;
  const parent = options.startsTraces ? ROOT_CONTEXT : remote;
  const span = telemetry.tracer.startSpan(
    request.method,
    { kind: SpanKind.SERVER, ...(client ? { links: [{ context: client }] } : {}) },
    parent,
  );
  if (!span.isRecording()) return undefined;
  span.setAttributes({
    "http.request.method": request.method,
    "url.path": request.path,
    "url.scheme": "http",
  });
  return { span, context: trace.setSpan(parent, span) };
}

/** The answer's status on the span (an error from 500 on, unless one was explained), and its end. */
function endServerSpan(span: Span, method: string, status: number, route?: string): void {
  if (route !== undefined) {
    span.updateName(`${method} ${route.replace(/:(\w+)/g, "{$1}")}`);
    span.setAttribute("http.route", route);
  }
  span.setAttribute("http.response.status_code", status);
  if (status >= 500 && !explained.has(span)) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/**
 * The SDK's loading when a request could be traced and spans cannot record yet (a consumer's first
 * traced request: telemetry.ts loads its SDK then), else undefined. A request that could be traced
 * is any at the edge, and one that carries a `traceparent` elsewhere.
 */
function sdkLoading(
  telemetry: Telemetry,
  options: ServerSpanOptions,
  traceparent: unknown,
): Promise<void> | undefined {
  return options.startsTraces || traceparent !== undefined ? telemetry.loadSdk() : undefined;
}

/** startServerSpan as Hono middleware: the span is named after the route Hono matched. */
export function httpServerSpans(
  telemetry: Telemetry,
  options: ServerSpanOptions,
): MiddlewareHandler {
  return async (c, next) => {
    if (!telemetry.active) return next();
    const loading = sdkLoading(telemetry, options, c.req.header("traceparent"));
    if (loading) await loading;
    const started = startServerSpan(telemetry, options, {
      method: c.req.method,
      path: c.req.path,
      header: (name) => c.req.header(name),
    });
    if (!started) return next();
    try {
      await context.with(started.context, next);
    } catch (err) {
      failSpan(started.span, err);
      started.span.end();
      throw err;
    }
    endServerSpan(started.span, c.req.method, c.res.status, routePath(c, -1));
  };
}

/**
 * startServerSpan around a node:http listener: the span is current while the listener and what it
 * awaits run, and ends once the answer is written (or the connection closed before). `route`
 * names the request's route where the listener has one.
 */
export function nodeServerSpans(
  telemetry: Telemetry,
  options: ServerSpanOptions & { route?: (path: string) => string | undefined },
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const traced = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const path = pathOf(req.url);
    const started = startServerSpan(telemetry, options, {
      method,
      path,
      header: (name) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(", ") : value;
      },
    });
    if (!started) return listener(req, res);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      endServerSpan(started.span, method, res.statusCode, options.route?.(path));
    };
    res.once("finish", end);
    res.once("close", end);
    try {
      context.with(started.context, () => listener(req, res));
    } catch (err) {
      failSpan(started.span, err);
      throw err;
    }
  };
  return (req, res) => {
    if (!telemetry.active) return listener(req, res);
    const loading = sdkLoading(telemetry, options, req.headers.traceparent);
    // The request waits, its body unread (so paused), until spans can record.
    if (loading) void loading.then(() => traced(req, res));
    else traced(req, res);
  };
}

/** The path of a request target (`/a/b?x=1` → `/a/b`). */
function pathOf(target: string | undefined): string {
  if (!target) return "/";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/**
 * The events without the trace context a client put on them (the CloudEvents `traceparent` and
 * `tracestate` extensions): at the edge it is not ours to continue, and its sampled flag would
 * make every later hop trace the event. publishInSpan stamps our own when we trace.
 */
export function withoutClientTraceContext(
  events: readonly CloudEvent<unknown>[],
): CloudEvent<unknown>[] {
  return events.map((e) => {
    if (e.traceparent === undefined && e.tracestate === undefined) return e;
    const { traceparent: _p, tracestate: _s, data, ...rest } = e.toJSON();
    return unvalidatedCloudEvent(rest, data);
  });
}

/** Whether the current context holds a span being recorded (a sampled trace). */
export function inRecordedTrace(telemetry: Telemetry): boolean {
  return recordedSpan(telemetry) !== undefined;
}

/** The current span if it is being recorded (a sampled trace), else undefined. */
export function recordedSpan(telemetry: Telemetry): Span | undefined {
  if (!telemetry.active) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

/**
 * A publish described on the span that makes it (the ingress's server span, a dispatcher's
 * `process <queue>`) rather than on a PRODUCER span of its own: each event is stamped with that
 * span's context (the CloudEvents `traceparent` extension), so whoever takes it from the broker
 * continues this trace as the enclosing span's child. With a `destination`, the publish's messaging
 * attributes go on that span too (a dispatcher's `process` span has its own queue there).
 * eventing-rabbitmq's Broker ingress publishes the same way, with its HTTP server span's context
 * and the event's attributes on that span (cmd/ingress/main.go). A span of its own timed what the
 * enclosing one already covers, and every span costs each traced event CPU in every process that
 * handles it. A failed send is recorded on the span as an exception event; its status is left to
 * whoever owns the span (an HTTP answer's code, a message's fate). Only inside a recorded trace:
 * otherwise the events go as they are.
 */
export async function publishInSpan<T>(
  telemetry: Telemetry,
  events: readonly CloudEvent<unknown>[],
  send: (events: CloudEvent<unknown>[]) => Promise<T>,
  destination?: string,
): Promise<T> {
  const span = recordedSpan(telemetry);
  if (!span) return send(events as CloudEvent<unknown>[]);
  return publishWithSpan(span, context.active(), events, send, destination);
}

/**
 * publishInSpan for a recorded span the caller holds, with `ctx` the context that has it (a
 * dispatcher's `process` span, which is never the active one): nothing is entered to find it.
 */
export async function publishWithSpan<T>(
  span: Span,
  ctx: Context,
  events: readonly CloudEvent<unknown>[],
  send: (events: CloudEvent<unknown>[]) => Promise<T>,
  destination?: string,
): Promise<T> {
  if (destination !== undefined) span.setAttributes(publishAttributes(destination, events));
  const extensions = injectContext(ctx);
  // An event's own `traceparent` is replaced: the event becomes durable here, and the trace to
  // follow through the broker is this one (at the edge, a client's is linked from the server
  // span; see httpServerSpans).
  const stamp = { traceparent: extensions.traceparent, tracestate: extensions.tracestate };
  const stamped = events.map((e) => unvalidatedClone(e, stamp));
  try {
    return await send(stamped);
  } catch (err) {
    span.recordException(err as Error);
    throw err;
  }
}

/** Messaging semconv attributes of a publish: the event's id and type, or the batch's size. */
function publishAttributes(
  destination: string,
  events: readonly CloudEvent<unknown>[],
): Attributes {
  return {
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
  };
}
