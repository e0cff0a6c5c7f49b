/**
 * Security review, issue 18 item 7: at the edge the sampling decision is ours. A client's sampled
 * `traceparent` is linked, not followed; inside the system a request follows its parent's decision.
 * And publishInSpan: a publish is described on the span that makes it, whose context the events carry.
 */
import { trace } from "@opentelemetry/api";
import { CloudEvent } from "cloudevents";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inMemoryTracing } from "./in-memory-tracing.js";
import { httpServerSpans, publishInSpan, withoutClientTraceContext } from "./tracing.js";

const { exporter, sampler, telemetry, install, uninstall } = inMemoryTracing();
beforeAll(install);
afterAll(uninstall);
beforeEach(() => exporter.reset());

const CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const CLIENT_SPAN = "b7ad6b7169203331";
const SAMPLED = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
// Far above 0 for `active`, far below any chance of a root trace being sampled.
const TINY = 1e-12;

function app(startsTraces: boolean): Hono {
  const a = new Hono();
  a.use(httpServerSpans(telemetry, { startsTraces }));
  a.post("/events", (c) => c.json({ traced: trace.getActiveSpan()?.isRecording() ?? false }));
  return a;
}

async function post(a: Hono, headers: Record<string, string>): Promise<boolean> {
  const r = await a.request("/events", { method: "POST", headers });
  return ((await r.json()) as { traced: boolean }).traced;
}

describe("the edge's server span", () => {
  it("does not let a client's sampled flag force tracing", async () => {
    sampler.ratio = TINY;
    expect(await post(app(true), { traceparent: SAMPLED })).toBe(false);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("when it samples, starts a trace of its own linked to the client's span", async () => {
    sampler.ratio = 1;
    expect(await post(app(true), { traceparent: SAMPLED })).toBe(true);
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceId).not.toBe(CLIENT_TRACE);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [CLIENT_TRACE, CLIENT_SPAN],
    ]);
  });
});

describe("a server span inside the system", () => {
  it("follows its parent's sampling decision, as the edge made it", async () => {
    sampler.ratio = TINY;
    expect(await post(app(false), { traceparent: SAMPLED })).toBe(true);
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(span!.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
  });
});

describe("withoutClientTraceContext", () => {
  it("drops the traceparent and tracestate extensions, and keeps the rest", () => {
    const event = new CloudEvent<unknown>(
      {
        id: "e1",
        source: "/s",
        type: "t",
        data: { a: 1 },
        traceparent: SAMPLED,
        tracestate: "k=v",
        other: "x",
      },
      false,
    );
    const [out] = withoutClientTraceContext([event]);
    expect(out!.traceparent).toBeUndefined();
    expect(out!.tracestate).toBeUndefined();
    expect([out!.id, out!.data, out!.other]).toEqual(["e1", { a: 1 }, "x"]);
  });
});

describe("publishInSpan", () => {
  const event = (id: string) =>
    new CloudEvent<unknown>({ id, source: "/s", type: "order.created", data: {} }, false);

  /** An edge app whose handler publishes `events` through publishInSpan, recording what was sent. */
  function publishing(events: CloudEvent<unknown>[], fail = false) {
    const sent: CloudEvent<unknown>[][] = [];
    const a = new Hono();
    a.use(httpServerSpans(telemetry, { startsTraces: true }));
    a.post("/events", async (c) => {
      try {
        await publishInSpan(
          telemetry,
          events,
          (stamped) => (
            sent.push(stamped),
            fail ? Promise.reject(new Error("nacked")) : Promise.resolve()
          ),
          "b.leveler.default.x",
        );
        return c.body(null, 202);
      } catch {
        return c.body(null, 429);
      }
    });
    return { a, sent };
  }

  it("stamps the events with the server span's context and describes the publish on it: one span", async () => {
    sampler.ratio = 1;
    const { a, sent } = publishing([event("e1")]);
    expect((await a.request("/events", { method: "POST" })).status).toBe(202);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(["POST /events"]);
    const [server] = spans;
    expect(sent[0]![0]!.traceparent).toBe(
      `00-${server!.spanContext().traceId}-${server!.spanContext().spanId}-01`,
    );
    expect(server!.attributes).toMatchObject({
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "send",
      "messaging.destination.name": "b.leveler.default.x",
      "messaging.message.id": "e1",
      "cloudevents.event_type": "order.created",
    });
  });

  it("gives a batch's size, and records a failed send as an exception on the span", async () => {
    sampler.ratio = 1;
    const { a } = publishing([event("e1"), event("e2")], true);
    expect((await a.request("/events", { method: "POST" })).status).toBe(429);
    const [server] = exporter.getFinishedSpans();
    expect(server!.attributes["messaging.batch.message_count"]).toBe(2);
    expect(server!.attributes["messaging.message.id"]).toBeUndefined();
    expect(server!.events.map((e) => [e.name, e.attributes?.["exception.message"]])).toEqual([
      ["exception", "nacked"],
    ]);
  });

  it("outside a recorded trace sends the events as they are", async () => {
    sampler.ratio = TINY;
    const events = [event("e1")];
    const { a, sent } = publishing(events);
    expect((await a.request("/events", { method: "POST" })).status).toBe(202);
    expect(sent[0]![0]).toBe(events[0]);
    expect(sent[0]![0]!.traceparent).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
