/**
 * A consumer's part of a trace is one span per delivery: its HTTP SERVER span (httpServerSpans, a
 * child of the dispatcher's delivery), on which the delivered event and the outcome are recorded;
 * and the reply, stamped with that span's context so the `.processed` event continues the same
 * trace through the broker.
 *
 * The work has no child span of its own: every span is paid for in CPU by every traced event, and
 * this one would only restate the server span's interval less the parsing around it. How long the work itself takes is the
 * `leveler.consumer.process.duration_seconds` histogram.
 */
import { context } from "@opentelemetry/api";
import type { CloudEvent } from "cloudevents";
import type { Outcome } from "./consumer.js";
import type { Telemetry } from "../../lib/runtime/telemetry.js";
import {
  failSpan,
  injectContext,
  inRecordedTrace,
  recordedSpan,
  setSpanError,
} from "../../lib/runtime/tracing.js";

/** Runs `handle`, recording the event and its outcome on the current (server) span when traced. */
export async function processInSpan(
  telemetry: Telemetry,
  event: CloudEvent<unknown>,
  handle: () => Promise<Outcome>,
): Promise<Outcome> {
  const span = recordedSpan(telemetry);
  if (!span) return handle();
  span.setAttributes({
    "cloudevents.event_id": event.id,
    "cloudevents.event_type": event.type,
    "cloudevents.event_source": event.source,
    "messaging.operation.type": "process",
  });
  try {
    const outcome = await handle();
    span.setAttribute("leveler.outcome", outcome.kind);
    if (outcome.kind !== "processed") setSpanError(span, outcome.reason);
    return outcome;
  } catch (err) {
    failSpan(span, err);
    throw err;
  }
}

/** `traceparent`/`tracestate` of the current span, for the reply event; nothing outside a recorded trace. */
export function replyTraceContext(telemetry: Telemetry): Record<string, string> {
  return inRecordedTrace(telemetry) ? injectContext(context.active()) : {};
}
