import { SpanStatusCode, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inMemoryTracing } from "../../lib/runtime/in-memory-tracing.js";
import type { Telemetry } from "../../lib/runtime/telemetry.js";
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
function consumer(outcome: Outcome, tracing: Telemetry = telemetry): Promise<ServedConsumer> {
  return serve({
    type: TYPE,
    source: "/leveler/order",
    handle: (event) => processInSpan(tracing, event, () => Promise.resolve(outcome)),
    replyExtensions: () => replyTraceContext(tracing),
    telemetry: tracing,
  });
}

/** One binary-mode delivery, with the dispatcher's trace context when `traceparent` is given. */
const deliver = (c: ServedConsumer, traceparent?: string, id = "e-1") =>
  c.request("/", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
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

  it("waits for the SDK when a traced delivery comes before spans can record, and is traced", async () => {
    // As a replica started at a ratio above 0 is (telemetry.ts): the tracer is the API's no-op
    // until the SDK has loaded, which only a delivery that carries a trace asks for.
    let loads = 0;
    let loaded = false;
    const notYet: Telemetry = {
      get tracer() {
        return loaded ? telemetry.tracer : trace.getTracer("not loaded");
      },
      sampler: telemetry.sampler,
      active: true,
      loadSdk: () => {
        if (loaded) return undefined;
        loads++;
        return new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => {
          loaded = true;
        });
      },
      shutdown: () => Promise.resolve(),
    };
    const c = await consumer({ kind: "processed", result: {} }, notYet);
    expect((await deliver(c, undefined, "e-0")).status).toBe(200);
    expect(loads).toBe(0);
    const r = await deliver(c, DELIVERY);
    expect(loads).toBe(1);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.parentSpanContext?.spanId)).toEqual(["b7ad6b7169203331"]);
    expect(spans[0]!.attributes["leveler.outcome"]).toBe("processed");
    expect(r.headers.get("ce-traceparent")).toBe(
      `00-${TRACE}-${spans[0]!.spanContext().spanId}-01`,
    );
  });

  it("is not made for a delivery that carries no trace, and the reply carries none", async () => {
    const r = await deliver(await consumer({ kind: "processed", result: {} }));
    expect(r.status).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(r.headers.get("ce-traceparent")).toBeNull();
  });
});
