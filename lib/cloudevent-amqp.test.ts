import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { fromAmqp, toAmqp } from "./cloudevent-amqp.js";

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
    expect(properties.headers).not.toHaveProperty("data");
    expect(properties.messageId).toBe("e-1");
    expect(properties.contentType).toBe("application/json");
    expect(properties.persistent).toBe(true);
    expect(JSON.parse(content.toString())).toEqual({ orderId: "o-1" });
  });

  it("round-trips every attribute and the data", () => {
    const { content, properties } = toAmqp(event);
    const back = fromAmqp({ content, properties });
    expect(back.id).toBe(event.id);
    expect(back.type).toBe(event.type);
    expect(back.source).toBe(event.source);
    expect(back.time).toBe(event.time);
    expect(back.traceparent).toBe(event.traceparent);
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
});
