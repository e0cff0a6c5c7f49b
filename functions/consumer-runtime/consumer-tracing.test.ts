import { SpanStatusCode } from "@opentelemetry/api";
import { CloudEvent } from "cloudevents";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inMemoryTracing } from "../../lib/runtime/in-memory-tracing.js";
import { httpServerSpans } from "../../lib/runtime/tracing.js";
import type { Outcome } from "./consumer.js";
import { processInSpan, replyTraceContext } from "./consumer-tracing.js";

const { exporter, telemetry, install, uninstall } = inMemoryTracing();
beforeAll(install);
afterAll(uninstall);
beforeEach(() => exporter.reset());

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const DELIVERY = `00-${TRACE}-b7ad6b7169203331-01`;
const event = new CloudEvent({ id: "e-1", type: "com.example.order.created", source: "/t" });

/** A consumer's app in small: the outcome becomes the status code, as consumer.ts answers. */
function consumer(outcome: Outcome): Hono {
  const app = new Hono();
  app.use(httpServerSpans(telemetry, { startsTraces: false }));
  app.post("/", async (c) => {
    const got = await processInSpan(telemetry, event, () => Promise.resolve(outcome));
    return c.json(replyTraceContext(telemetry), got.kind === "retry" ? 503 : 200);
  });
  return app;
}

describe("a consumer's span", () => {
  it("is the delivery's server span, with the event and its outcome on it, and the reply continues it", async () => {
    const r = await consumer({ kind: "processed", result: {} }).request("/", {
      method: "POST",
      headers: { traceparent: DELIVERY },
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["POST /"]);
    expect(spans[0]!.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(spans[0]!.attributes).toMatchObject({
      "cloudevents.event_id": "e-1",
      "cloudevents.event_type": "com.example.order.created",
      "leveler.outcome": "processed",
    });
    expect(((await r.json()) as { traceparent: string }).traceparent).toBe(
      `00-${TRACE}-${spans[0]!.spanContext().spanId}-01`,
    );
  });

  it("keeps the outcome's reason as the error status when the answer is a 5xx", async () => {
    await consumer({ kind: "retry", reason: "payment provider busy" }).request("/", {
      method: "POST",
      headers: { traceparent: DELIVERY },
    });
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes["http.response.status_code"]).toBe(503);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: "payment provider busy" });
  });

  it("is not made for a delivery that carries no trace, and the reply carries none", async () => {
    const r = await consumer({ kind: "processed", result: {} }).request("/", { method: "POST" });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(await r.json()).toEqual({});
  });
});
