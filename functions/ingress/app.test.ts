/**
 * The ingress's HTTP contract without a socket (`app.request()`): accepted events, refused
 * requests (nothing published), and the broker's answers. Past 350 lines on purpose: it is one
 * table of requests and answers, read together.
 */
import type { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { BrokerUnavailableError, PublishRejectedError } from "../../lib/errors.js";
import type { Sink } from "../../lib/sink.js";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";
import { createIngressApp } from "./app.js";

class MemorySink implements Sink {
  readonly events: CloudEvent<unknown>[] = [];
  failWith: Error | undefined;
  available = true;
  send(events: readonly CloudEvent<unknown>[]): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.events.push(...events);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const order = {
  orderId: "o-1",
  currency: "EUR",
  items: [{ sku: "A", quantity: 2, unitPrice: 9.5 }],
};
const ORDER = "com.example.order.created";

function setup(options: { maxEventBytes?: number } = {}) {
  const sink = new MemorySink();
  const app = createIngressApp({ sink, registry: createEventRegistry(schemas), ...options });
  return { sink, app };
}

const structured = (event: Record<string, unknown>) => ({
  method: "POST",
  headers: { "content-type": "application/cloudevents+json" },
  body: JSON.stringify(event),
});

describe("ingress: accepted events", () => {
  it("POST /events/<type> fills in id, source, time and specversion", async () => {
    const { app, sink } = setup();
    const res = await app.request(`/events/${ORDER}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(sink.events).toHaveLength(1);
    const event = sink.events[0]!;
    expect(event.id).toBe(id);
    expect(event.type).toBe(ORDER);
    expect(event.specversion).toBe("1.0");
    expect(event.source).toBe("/leveler/ingress");
    expect(event.time).toBeTruthy();
    expect(event.data).toEqual(order);
  });

  it("binary mode keeps the client's attributes and extensions", async () => {
    const { app, sink } = setup();
    const res = await app.request("/events", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "b-1",
        "ce-source": "/client",
        "ce-type": ORDER,
        "ce-tenant": "acme",
      },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: "b-1" });
    expect(sink.events[0]!.tenant).toBe("acme");
  });

  it("structured mode", async () => {
    const { app, sink } = setup();
    const res = await app.request(
      "/events",
      structured({ specversion: "1.0", id: "s-1", source: "/client", type: ORDER, data: order }),
    );
    expect(res.status).toBe(202);
    expect(sink.events.map((e) => e.id)).toEqual(["s-1"]);
  });

  it("batch mode answers every id", async () => {
    const { app, sink } = setup();
    const batch = [1, 2, 3].map((i) => ({
      specversion: "1.0",
      id: `x-${i}`,
      source: "/client",
      type: "com.example.report.requested",
      data: { reportId: `r-${i}`, period: "daily" },
    }));
    const res = await app.request("/events", {
      method: "POST",
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: JSON.stringify(batch),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ids: ["x-1", "x-2", "x-3"] });
    expect(sink.events).toHaveLength(3);
  });
});

describe("ingress: rejected requests publish nothing", () => {
  const cases: {
    name: string;
    request: () => [string, RequestInit];
    status: number;
    field?: string;
  }[] = [
    {
      name: "missing required field",
      request: () => [
        `/events/${ORDER}`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ currency: "EUR", items: order.items }),
        },
      ],
      status: 400,
      field: "data.orderId",
    },
    {
      name: "nested field out of range",
      request: () => [
        `/events/${ORDER}`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...order, items: [{ sku: "A", quantity: 0, unitPrice: 1 }] }),
        },
      ],
      status: 400,
      field: "data.items[0].quantity",
    },
    {
      name: "bad currency code",
      request: () => [
        `/events/${ORDER}`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...order, currency: "euro" }),
        },
      ],
      status: 400,
      field: "data.currency",
    },
    {
      name: "enum value",
      request: () => [
        `/events/com.example.notification.requested`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ notificationId: "n", channel: "fax", recipient: "x" }),
        },
      ],
      status: 400,
      field: "data.channel",
    },
    {
      name: "malformed JSON",
      request: () => [
        `/events/${ORDER}`,
        { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" },
      ],
      status: 400,
      field: "body",
    },
    {
      name: "unknown type",
      request: () => [
        `/events/com.example.nope`,
        { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
      ],
      status: 400,
      field: "type",
    },
    {
      name: "structured without source",
      request: () => [
        "/events",
        structured({ specversion: "1.0", id: "1", type: ORDER, data: order }),
      ],
      status: 400,
      field: "source",
    },
    {
      name: "wrong specversion",
      request: () => [
        "/events",
        structured({ specversion: "0.9", id: "1", source: "/s", type: ORDER, data: order }),
      ],
      status: 400,
      field: "specversion",
    },
    {
      name: "binary without ce-type",
      request: () => [
        "/events",
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "ce-specversion": "1.0",
            "ce-id": "1",
            "ce-source": "/s",
          },
          body: JSON.stringify(order),
        },
      ],
      status: 400,
      field: "ce-type",
    },
    {
      name: "plain JSON on /events",
      request: () => [
        "/events",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(order),
        },
      ],
      status: 400,
      field: "ce-specversion",
    },
    {
      name: "unreadable content type",
      request: () => [
        "/events",
        { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" },
      ],
      status: 415,
    },
    {
      name: "non-JSON body on /events/<type>",
      request: () => [
        `/events/${ORDER}`,
        { method: "POST", headers: { "content-type": "text/csv" }, body: "a,b" },
      ],
      status: 415,
    },
    {
      name: "empty batch",
      request: () => [
        "/events",
        {
          method: "POST",
          headers: { "content-type": "application/cloudevents-batch+json" },
          body: "[]",
        },
      ],
      status: 400,
      field: "body",
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const { app, sink } = setup();
      const res = await app.request(...c.request());
      expect(res.status).toBe(c.status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await res.json()) as {
        status: number;
        detail: string;
        errors?: { field: string }[];
      };
      expect(problem.status).toBe(c.status);
      if (c.field) {
        expect(problem.errors?.map((e) => e.field)).toContain(c.field);
        expect(problem.detail).toContain(c.field);
      }
      expect(sink.events).toHaveLength(0);
    });
  }

  it("unknown type lists the known types", async () => {
    const { app } = setup();
    const res = await app.request(`/events/com.example.nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toContain(ORDER);
    expect(problem.detail).toContain("com.example.report.requested");
  });

  it("one bad event in a batch rejects the whole batch and names its index", async () => {
    const { app, sink } = setup();
    const good = {
      specversion: "1.0",
      id: "g",
      source: "/s",
      type: "com.example.report.requested",
      data: { reportId: "r", period: "daily" },
    };
    const bad = { ...good, id: "b", data: { reportId: "r", period: "hourly" } };
    const res = await app.request("/events", {
      method: "POST",
      headers: { "content-type": "application/cloudevents-batch+json" },
      body: JSON.stringify([good, bad]),
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { errors: { field: string }[] };
    expect(problem.errors[0]!.field).toBe("[1].data.period");
    expect(sink.events).toHaveLength(0);
  });

  it("an event over the size limit is 413", async () => {
    const { app, sink } = setup({ maxEventBytes: 1024 });
    const res = await app.request(`/events/${ORDER}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...order, note: "x".repeat(2000) }),
    });
    expect(res.status).toBe(413);
    expect(sink.events).toHaveLength(0);
  });

  it("a body announced over the limit is refused from its Content-Length, before a byte is read", async () => {
    const { app, sink } = setup({ maxEventBytes: 1024 });
    // The stream hands out bytes only when someone reads (high-water mark 0), and says so.
    let reads = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          reads++;
          controller.enqueue(new TextEncoder().encode('{"orderId":'));
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const res = await app.request(`/events/${ORDER}`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(100 * 1024 * 1024) },
      body,
      duplex: "half",
    });
    expect(res.status).toBe(413);
    expect(reads).toBe(0);
    expect(sink.events).toHaveLength(0);
  });
});

describe("ingress: the broker's answer", () => {
  it("broker unavailable → 503 with Retry-After, never 202", async () => {
    const { app, sink } = setup();
    sink.failWith = new BrokerUnavailableError("not connected");
    const res = await app.request(`/events/${ORDER}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });

  it("publish refused → 429 with Retry-After", async () => {
    const { app, sink } = setup();
    sink.failWith = new PublishRejectedError("nack");
    const res = await app.request(`/events/${ORDER}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
  });
});
