import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { fromAmqp, toAmqp, traceContextOf } from "./cloudevent-amqp.js";

describe("CloudEvent ↔ AMQP (binary content mode)", () => {
  const event = new CloudEvent({
    id: "e-1",
    source: "/client",
    type: "com.example.order.created",
    datacontenttype: "application/json",
    time: "2026-11-25T10:00:00.000Z",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    data: { orderId: "o-1" },
  });

  it("puts attributes in headers under their plain names, so headers-exchange bindings can match them", () => {
    const { content, properties } = toAmqp(event);
    expect(properties.headers).toMatchObject({
      id: "e-1",
      source: "/client",
      type: "com.example.order.created",
      specversion: "1.0",
      "content-type": "application/json",
    });
    expect(properties.headers.traceparent).toBe(event.traceparent);
    expect(properties.headers.tracestate).toBe("");
    expect(properties.headers).not.toHaveProperty("data");
    expect(properties).not.toHaveProperty("timestamp");
    expect(properties.messageId).toBe("e-1");
    expect(properties.contentType).toBe("application/json");
    expect(properties.persistent).toBe(true);
    expect(JSON.parse(content.toString())).toEqual({ orderId: "o-1" });
  });

  it("round-trips every attribute and the data; the trace context travels beside the event", () => {
    const { content, properties } = toAmqp(event);
    const back = fromAmqp({ content, properties });
    expect(back.id).toBe(event.id);
    expect(back.type).toBe(event.type);
    expect(back.source).toBe(event.source);
    expect(back.time).toBe(event.time);
    expect(back).not.toHaveProperty("traceparent");
    expect(back).not.toHaveProperty("tracestate");
    expect(traceContextOf(properties.headers)).toEqual({
      traceparent: event.traceparent,
      tracestate: "",
    });
    expect(back.datacontenttype).toBe("application/json");
    expect(back.data).toEqual({ orderId: "o-1" });
  });

  it("ignores x- headers (routing, not attributes) and reads ce- prefixed ones", () => {
    const back = fromAmqp({
      content: Buffer.from("{}"),
      properties: {
        headers: {
          "ce-specversion": "1.0",
          "ce-id": "1",
          "ce-source": "/s",
          "ce-type": "t",
          "x-death": [{}],
          "x-knative-trigger": "order",
        },
        contentType: "application/json",
      },
    });
    expect(back.id).toBe("1");
    expect(Object.keys(back)).not.toContain("x-death");
  });

  it("refuses a message without specversion", () => {
    expect(() =>
      fromAmqp({ content: Buffer.from("{}"), properties: { headers: { id: "1" } } }),
    ).toThrow(/specversion/);
  });

  // eventing-rabbitmq pkg/rabbit/message.go and message_test.go (TestProtocol_CloudEventToRabbitMQMessage)
  // at bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32.
  describe("as eventing-rabbitmq writes and reads messages", () => {
    const bare = new CloudEvent<unknown>({ id: "e-2", source: "/s", type: "t" }, false);

    it("always writes time and content-type, empty when the event has none", () => {
      const { headers } = toAmqp(bare).properties;
      expect(headers["content-type"]).toBe("");
      expect(headers.time).toBe(bare.time);
      expect(headers).toMatchObject({ id: "e-2", specversion: "1.0", source: "/s", type: "t" });
      expect(toAmqp(bare).properties).not.toHaveProperty("contentType");
    });

    it("reads an empty content-type as none", () => {
      const back = fromAmqp(toAmqp(bare));
      expect(back.datacontenttype).toBeUndefined();
    });

    it("keeps extension types: integers as 32-bit integers, booleans as booleans, text as text", () => {
      const typed = bare.cloneWith(
        { knativeerrorcode: 503, retried: true, region: "eu", big: 2 ** 40 },
        false,
      );
      const { headers } = toAmqp(typed).properties;
      expect(headers.knativeerrorcode).toEqual({ "!": "int", value: 503 });
      expect(headers.retried).toBe(true);
      expect(headers.region).toBe("eu");
      expect(headers.big).toBe(String(2 ** 40));
    });

    it("reads every header back as text (fmt.Sprint)", () => {
      const back = fromAmqp({
        content: Buffer.alloc(0),
        properties: {
          headers: {
            specversion: "1.0",
            id: "1",
            source: "/s",
            type: "t",
            knativeerrorcode: 503,
            ok: true,
          },
        },
      });
      expect(back.knativeerrorcode).toBe("503");
      expect(back.ok).toBe("true");
    });

    it("writes traceparent and tracestate together or not at all", () => {
      expect(toAmqp(bare).properties.headers).not.toHaveProperty("traceparent");
      expect(toAmqp(bare).properties.headers).not.toHaveProperty("tracestate");
      const traced = bare.cloneWith({ traceparent: event.traceparent, tracestate: "k=v" }, false);
      expect(toAmqp(traced).properties.headers).toMatchObject({
        traceparent: event.traceparent,
        tracestate: "k=v",
      });
    });

    it("continues a trace only when both headers are there (dispatcher readSpan)", () => {
      const tp = String(event.traceparent);
      expect(traceContextOf(undefined)).toBeUndefined();
      expect(traceContextOf({})).toBeUndefined();
      expect(traceContextOf({ traceparent: tp })).toBeUndefined();
      expect(traceContextOf({ tracestate: "" })).toBeUndefined();
      expect(traceContextOf({ traceparent: tp, tracestate: "" })).toEqual({
        traceparent: tp,
        tracestate: "",
      });
    });
  });
});
