import { trace } from "@opentelemetry/api";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inMemoryTracing } from "../../lib/runtime/in-memory-tracing.js";
import { PUBLISHED_MS_HEADER } from "../../lib/amqp-sink.js";
import { startDispatchTrace } from "./dispatch-tracing.js";

const { exporter, provider, sampler, telemetry, install, uninstall } = inMemoryTracing();
beforeAll(install);
afterAll(uninstall);

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const event = (traceparent?: string) =>
  new CloudEvent<unknown>(
    {
      id: "e-1",
      source: "/t",
      type: "com.example.order.created",
      data: {},
      ...(traceparent ? { traceparent } : {}),
    },
    false,
  );

describe("a dispatcher's spans", () => {
  it("continue the event's trace: process (with the time in queue), one POST per attempt whose context is the W3C header, and the reply stamped with process's context (no span of its own)", async () => {
    exporter.reset();
    const published = Date.now() - 250;
    const traced = startDispatchTrace(telemetry, {
      event: event(),
      queue: "leveler.order.x",
      trigger: "order",
      headers: {
        [PUBLISHED_MS_HEADER]: String(published),
        traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
        tracestate: "",
      },
      redelivered: false,
    });
    const sent: Record<string, string>[] = [];
    await traced.attempt(
      0,
      "http://order/",
      (headers) => (sent.push(headers), Promise.resolve({ status: 503, error: "busy" })),
    );
    await traced.attempt(
      1,
      "http://order/",
      (headers) => (sent.push(headers), Promise.resolve({ status: 200 })),
    );
    let stamped: CloudEvent<unknown>[] = [];
    await traced.publish([event()], (events) => ((stamped = events), Promise.resolve()));
    traced.end("processed");

    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const [process] = byName("process leveler.order.x");
    expect(process!.spanContext().traceId).toBe(TRACE);
    expect(process!.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(process!.attributes["messaging.rabbitmq.time_in_queue_ms"]).toBeGreaterThanOrEqual(250);
    // The time in queue is that attribute, drawn by `leveler traces`, and the reply's publish is
    // described by process's outcome: neither has a span of its own.
    expect(spans.map((s) => s.name).sort()).toEqual(["POST", "POST", "process leveler.order.x"]);
    const posts = byName("POST");
    expect(posts.map((s) => s.attributes["http.response.status_code"])).toEqual([503, 200]);
    expect(posts[1]!.attributes["http.request.resend_count"]).toBe(1);
    expect(sent.map((h) => h.traceparent)).toEqual(
      posts.map((s) => `00-${TRACE}-${s.spanContext().spanId}-01`),
    );
    expect(stamped[0]!.traceparent).toBe(`00-${TRACE}-${process!.spanContext().spanId}-01`);
  });

  it("never start a trace, and do nothing at ratio 0", async () => {
    exporter.reset();
    const headersSeen: Record<string, string>[] = [];
    // Nothing to continue: no headers; an event extension only; traceparent without tracestate
    // (eventing-rabbitmq's readSpan wants both, pkg/dispatcher/dispatcher.go at bd1ee99).
    for (const [ext, headers] of [
      [undefined, {}],
      [`00-${TRACE}-b7ad6b7169203331-01`, {}],
      [undefined, { traceparent: `00-${TRACE}-b7ad6b7169203331-01` }],
    ] as const) {
      const untraced = startDispatchTrace(telemetry, {
        event: event(ext),
        queue: "q",
        trigger: "t",
        headers,
        redelivered: false,
      });
      await untraced.attempt(
        0,
        "http://x/",
        (h) => (headersSeen.push(h), Promise.resolve({ status: 200 })),
      );
      untraced.end("processed");
    }
    sampler.ratio = 0;
    const off = startDispatchTrace(telemetry, {
      event: event(),
      queue: "q",
      trigger: "t",
      headers: { traceparent: `00-${TRACE}-b7ad6b7169203331-01`, tracestate: "" },
      redelivered: false,
    });
    await off.attempt(
      0,
      "http://x/",
      (h) => (headersSeen.push(h), Promise.resolve({ status: 200 })),
    );
    off.end("processed");
    sampler.ratio = 1;
    await provider.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(headersSeen).toEqual([{}, {}, {}, {}]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
