import { SpanStatusCode } from "@opentelemetry/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inMemoryTracing } from "../../lib/runtime/in-memory-tracing.js";
import type { Outcome } from "./consumer.js";
import { servedPerTest, type ServedConsumer } from "./consumer-server.js";
import { processInSpan, replyTraceContext } from "./consumer-tracing.js";

const { exporter, telemetry, install, uninstall } = inMemoryTracing();
beforeAll(install);
afterAll(uninstall);
beforeEach(() => exporter.reset());
const serve = servedPerTest();

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const DELIVERY = `00-${TRACE}-b7ad6b7169203331-01`;
const TYPE = "com.example.order.created";

/** A consumer wired as consumer-main.ts wires it, over real HTTP, whose work ends in `outcome`. */
function consumer(outcome: Outcome): Promise<ServedConsumer> {
  return serve({
    type: TYPE,
    source: "/leveler/order",
    handle: (event) => processInSpan(telemetry, event, () => Promise.resolve(outcome)),
    replyExtensions: () => replyTraceContext(telemetry),
    telemetry,
  });
}

/** One binary-mode delivery, with the dispatcher's trace context when `traceparent` is given. */
const deliver = (c: ServedConsumer, traceparent?: string) =>
  c.request("/", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": "e-1",
      "ce-source": "/t",
      "ce-type": TYPE,
      ...(traceparent ? { traceparent } : {}),
    },
    body: "{}",
  });

describe("a consumer's span", () => {
  it("is the delivery's server span, with the event and its outcome on it, and the reply continues it", async () => {
    const r = await deliver(await consumer({ kind: "processed", result: {} }), DELIVERY);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["POST /"]);
    expect(spans[0]!.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(spans[0]!.attributes).toMatchObject({
      "cloudevents.event_id": "e-1",
      "cloudevents.event_type": "com.example.order.created",
      "leveler.outcome": "processed",
    });
    // The reply event continues the trace from this span.
    expect(r.headers.get("ce-traceparent")).toBe(
      `00-${TRACE}-${spans[0]!.spanContext().spanId}-01`,
    );
  });

  it("keeps the outcome's reason as the error status when the answer is a 5xx", async () => {
    const r = await deliver(
      await consumer({ kind: "retry", reason: "payment provider busy" }),
      DELIVERY,
    );
    expect(r.status).toBe(503);
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes["http.response.status_code"]).toBe(503);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: "payment provider busy" });
  });

  it("is not made for a delivery that carries no trace, and the reply carries none", async () => {
    const r = await deliver(await consumer({ kind: "processed", result: {} }));
    expect(r.status).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(r.headers.get("ce-traceparent")).toBeNull();
  });
});
