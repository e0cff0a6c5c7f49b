/**
 * A consumer's spans: `process <type>` around the business logic (a child of the HTTP server
 * span, itself a child of the dispatcher's delivery), and the reply stamped with the current
 * context so the `.processed` event continues the same trace through the broker.
 */
import { context, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { CloudEvent } from "cloudevents";
import type { Outcome } from "./consumer.js";
import type { Telemetry } from "../../lib/runtime/telemetry.js";
import { failSpan, injectContext, inRecordedTrace } from "../../lib/runtime/tracing.js";

export async function processSpan(
  telemetry: Telemetry,
  event: CloudEvent<unknown>,
  handle: () => Promise<Outcome>,
): Promise<Outcome> {
  if (!inRecordedTrace(telemetry)) return handle();
  return telemetry.tracer.startActiveSpan(
    `process ${event.type}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        "cloudevents.event_id": event.id,
        "cloudevents.event_type": event.type,
        "cloudevents.event_source": event.source,
        "messaging.operation.type": "process",
      },
    },
    async (span) => {
      try {
        const outcome = await handle();
        span.setAttribute("leveler.outcome", outcome.kind);
        if (outcome.kind !== "processed")
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
        return outcome;
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** `traceparent`/`tracestate` of the current span, for the reply event; nothing outside a recorded trace. */
export function replyTraceContext(telemetry: Telemetry): Record<string, string> {
  return inRecordedTrace(telemetry) ? injectContext(context.active()) : {};
}
