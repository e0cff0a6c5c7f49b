/**
 * A dispatcher's spans, one trace per message continued from the message's `traceparent` and
 * `tracestate` headers (the publisher's span; see `traceContextOf`):
 *
 * - `process <queue>` (CONSUMER, messaging semconv) from the moment the message is taken to its
 *   ack, with `messaging.rabbitmq.time_in_queue_ms` (from the publisher's `x-leveler-published-ms`
 *   header). The time in queue is an attribute, not a span of its own: `leveler traces` draws it
 *   from the attribute, and a span more per event would be paid per event at ratio 1;
 * - `POST` (CLIENT, HTTP semconv) per delivery attempt, whose context goes to the subscriber as
 *   the W3C `traceparent` header; the CloudEvent's own extension is left as it is;
 * - no span of its own for the reply or the dead letter: it is published with the `process` span's
 *   context, so the reply's own trace continues from there, and `leveler.outcome` says which it was.
 *
 * A dispatcher never starts a trace: an event without a trace context is delivered untraced.
 */
import { SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { CloudEvent } from "cloudevents";
import { PUBLISHED_MS_HEADER } from "../../lib/amqp-sink.js";
import { traceContextOf } from "../../lib/cloudevent-amqp.js";
import type { Telemetry } from "../../lib/runtime/telemetry.js";
import {
  extractContext,
  failSpan,
  injectContext,
  publishWithSpan,
} from "../../lib/runtime/tracing.js";
import type { DeliveryResult } from "./deliver.js";

export interface DispatchTrace {
  /** One delivery attempt (0-based); `send` gets the headers that carry the attempt's context. */
  attempt(
    n: number,
    url: string,
    send: (headers: Record<string, string>) => Promise<DeliveryResult>,
  ): Promise<DeliveryResult>;
  /** A reply or dead letter, stamped with this trace's context (no span of its own). */
  publish(
    events: CloudEvent<unknown>[],
    send: (events: CloudEvent<unknown>[]) => Promise<void>,
  ): Promise<void>;
  /** Ends the trace with the message's fate. */
  end(outcome: string, error?: string): void;
}

const untraced: DispatchTrace = {
  attempt: (_n, _url, send) => send({}),
  publish: (events, send) => send(events),
  end: () => undefined,
};

export interface MessageInfo {
  /** The event's `id` and `type`. */
  event: { id: string; type: string };
  queue: string;
  trigger: string;
  headers: Record<string, unknown> | undefined;
  redelivered: boolean;
}

export function startDispatchTrace(
  telemetry: Telemetry | undefined,
  info: MessageInfo,
): DispatchTrace {
  const carried = traceContextOf(info.headers);
  if (!telemetry?.active || carried === undefined) return untraced;
  const parent = extractContext({
    traceparent: carried.traceparent,
    ...(carried.tracestate !== "" ? { tracestate: carried.tracestate } : {}),
  });
  // A Date: the SDK reads a bare number older than this process as relative to its start.
  const now = Date.now();
  const published = Number(info.headers?.[PUBLISHED_MS_HEADER]);
  const inQueueMs = Number.isFinite(published) && published <= now ? now - published : undefined;
  const span = telemetry.tracer.startSpan(
    `process ${info.queue}`,
    {
      kind: SpanKind.CONSUMER,
      startTime: new Date(now),
      attributes: {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": info.queue,
        "messaging.consumer.group.name": info.trigger,
        "messaging.message.id": info.event.id,
        "cloudevents.event_id": info.event.id,
        "cloudevents.event_type": info.event.type,
        "leveler.trigger": info.trigger,
        ...(info.redelivered ? { "messaging.rabbitmq.redelivered": true } : {}),
        ...(inQueueMs !== undefined ? { "messaging.rabbitmq.time_in_queue_ms": inQueueMs } : {}),
      },
    },
    parent,
  );
  // An unsampled context (a client's own, passed through): nothing to record or to propagate.
  if (!span.isRecording()) return untraced;
  const inside = trace.setSpan(parent, span);
  return {
    async attempt(n, url, send) {
      const attempt = telemetry.tracer.startSpan(
        "POST",
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "http.request.method": "POST",
            "url.full": url,
            ...(n > 0 ? { "http.request.resend_count": n } : {}),
          },
        },
        inside,
      );
      const result = await send(injectContext(trace.setSpan(inside, attempt)));
      if (result.status !== undefined)
        attempt.setAttribute("http.response.status_code", result.status);
      if (result.status === undefined || result.status >= 400)
        attempt.setStatus({
          code: SpanStatusCode.ERROR,
          message: result.error ?? String(result.status),
        });
      attempt.end();
      return result;
    },
    publish: (events, send) => publishWithSpan(span, inside, events, send),
    end(outcome, error) {
      endWith(span, outcome, error);
    },
  };
}

function endWith(span: Span, outcome: string, error?: string): void {
  span.setAttribute("leveler.outcome", outcome);
  if (error !== undefined) failSpan(span, new Error(error));
  span.end();
}
