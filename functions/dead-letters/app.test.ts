/** The sink's HTTP contract over an in-memory store: what it answers, and when it keeps. */
import { CloudEvent, HTTP } from "cloudevents";
import { describe, expect, it } from "vitest";
import { BrokerUnavailableError } from "../../lib/errors.js";
import { createDeadLettersApp } from "./app.js";
import { matches, withoutErrorExtensions, type DeadLetterFilter } from "./dead-letter.js";
import type { DeadLetterStore, Scan } from "./parked-queue.js";

class MemoryStore implements DeadLetterStore {
  parked: CloudEvent<unknown>[] = [];
  down = false;
  available = true;
  park(events: readonly CloudEvent<unknown>[]): Promise<void> {
    if (this.down) return Promise.reject(new BrokerUnavailableError("connection lost"));
    this.parked.push(...events);
    return Promise.resolve();
  }
  list(filter: DeadLetterFilter, limit: number): Promise<Scan> {
    const letters = this.parked.filter((e) => matches(e, filter)).slice(0, limit);
    return Promise.resolve({ letters, scanned: this.parked.length, remaining: 0, undecodable: 0 });
  }
  async replay(
    filter: DeadLetterFilter,
    limit: number,
    send: (event: CloudEvent<unknown>) => Promise<void>,
  ): Promise<string[]> {
    const replayed: string[] = [];
    for (const e of [...this.parked]) {
      if (replayed.length >= limit || !matches(e, filter)) continue;
      await send(withoutErrorExtensions(e));
      this.parked.splice(this.parked.indexOf(e), 1);
      replayed.push(e.id);
    }
    return replayed;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const deadLetter = (id: string, type = "com.example.order.created") =>
  new CloudEvent<unknown>(
    {
      id,
      source: "/shop",
      type,
      datacontenttype: "application/json",
      data: { orderId: id },
      knativeerrordest: "http://order.leveler.svc.cluster.local",
      knativeerrorcode: "500",
    },
    false,
  );

function setup(token: string | null = "t0ken") {
  const store = new MemoryStore();
  const sent: CloudEvent<unknown>[] = [];
  const app = createDeadLettersApp({
    store,
    queue: "parked",
    token: () => token ?? undefined,
    replaySink: {
      send: (events) => {
        sent.push(...events);
        return Promise.resolve();
      },
    },
    maxEventBytes: 64 * 1024,
    maxLimit: 2,
  });
  const deliver = (event: CloudEvent<unknown>, mode: "binary" | "structured" = "binary") => {
    const message = mode === "binary" ? HTTP.binary(event) : HTTP.structured(event);
    return app.request("/", {
      method: "POST",
      headers: message.headers as Record<string, string>,
      body: message.body as string,
    });
  };
  const auth = { authorization: "Bearer t0ken" };
  return { app, store, sent, deliver, auth };
}

describe("dead-letter sink", () => {
  it("parks a binary or structured delivery with its knativeerror* extensions, then answers 202 with no reply event", async () => {
    const { store, deliver } = setup();
    const binary = await deliver(deadLetter("a"));
    const structured = await deliver(deadLetter("b"), "structured");
    for (const r of [binary, structured]) {
      expect(r.status).toBe(202);
      expect(await r.text()).toBe("");
      expect(r.headers.get("ce-id")).toBeNull();
    }
    expect(store.parked.map((e) => [e.id, e.knativeerrorcode, e.knativeerrordest])).toEqual([
      ["a", "500", "http://order.leveler.svc.cluster.local"],
      ["b", "500", "http://order.leveler.svc.cluster.local"],
    ]);
    // Binary mode keeps the body's bytes as they came (parsed again when read from the queue).
    expect(JSON.parse(Buffer.from(store.parked[0]!.data as Uint8Array).toString())).toEqual({
      orderId: "a",
    });
    expect(store.parked[1]!.data).toEqual({ orderId: "b" });
  });

  it("keeps binary data byte for byte", async () => {
    const { store, app } = setup();
    const bytes = Buffer.from([0, 1, 254, 255]);
    const r = await app.request("/", {
      method: "POST",
      headers: {
        "ce-specversion": "1.0",
        "ce-id": "bin",
        "ce-source": "/s",
        "ce-type": "t",
        "content-type": "application/octet-stream",
      },
      body: bytes,
    });
    expect(r.status).toBe(202);
    expect(Buffer.from(store.parked[0]!.data as Uint8Array)).toEqual(bytes);
  });

  it("never answers 2xx for what it did not keep: broker down is 503 with Retry-After", async () => {
    const { store, deliver } = setup();
    store.down = true;
    const r = await deliver(deadLetter("c"));
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(((await r.json()) as { detail: string }).detail).toMatch(/not parked: connection lost/);
    expect(store.parked).toEqual([]);
  });

  it("refuses what is not a CloudEvent with problem+json, keeping nothing", async () => {
    const { store, app } = setup();
    const r = await app.request("/", { method: "POST", body: "hello" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/not a CloudEvent/);
    expect(store.parked).toEqual([]);
  });

  it("the API is never open: no token configured is 403, a wrong or missing one 401", async () => {
    const closed = setup(null);
    expect((await closed.app.request("/dead-letters")).status).toBe(403);
    expect(
      (await closed.app.request("/dead-letters", { headers: { authorization: "Bearer " } })).status,
    ).toBe(403);
    const { app } = setup();
    const missing = await app.request("/dead-letters");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await app.request("/dead-letters/replay", {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
  });

  it("lists without removing, filtered by type and id, with ?limit capped", async () => {
    const { app, deliver, auth, store } = setup();
    for (const id of ["1", "2", "3"]) await deliver(deadLetter(id));
    await deliver(deadLetter("p", "com.example.payment.requested"));
    const list = async (query: string) =>
      (await (await app.request(`/dead-letters${query}`, { headers: auth })).json()) as {
        deadLetters: { id: string; errorCode: string; queue: string }[];
      };
    expect((await list("?limit=100")).deadLetters.map((d) => d.id)).toEqual(["1", "2"]);
    expect((await list("?type=com.example.payment.requested")).deadLetters).toMatchObject([
      { id: "p", errorCode: "500", queue: "parked" },
    ]);
    expect((await list("?id=3")).deadLetters.map((d) => d.id)).toEqual(["3"]);
    expect(store.parked).toHaveLength(4);
    const bad = await app.request("/dead-letters?limit=0", { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/limit="0"/);
  });

  it("replays the chosen ones to the Broker without error extensions and unparks them", async () => {
    const { app, deliver, auth, store, sent } = setup();
    for (const id of ["1", "2"]) await deliver(deadLetter(id));
    const r = await app.request("/dead-letters/replay", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ id: "2" }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ replayed: ["2"] });
    expect(sent.map((e) => [e.id, e.knativeerrorcode])).toEqual([["2", undefined]]);
    expect(store.parked.map((e) => e.id)).toEqual(["1"]);
  });

  it("replay without a Broker sink is 503, and nothing is unparked", async () => {
    const store = new MemoryStore();
    const app = createDeadLettersApp({
      store,
      queue: "parked",
      token: () => "t",
      maxEventBytes: 1024,
      maxLimit: 10,
    });
    await store.park([deadLetter("x")]);
    const r = await app.request("/dead-letters/replay", {
      method: "POST",
      headers: { authorization: "Bearer t" },
    });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/K_SINK/);
    expect(store.parked).toHaveLength(1);
  });
});
