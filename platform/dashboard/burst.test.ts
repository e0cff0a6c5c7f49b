import { describe, expect, it } from "vitest";
import { createEventRegistry } from "../../functions/events/registry.js";
import { schemas } from "../../functions/events/schemas.js";
import { BurstSender, burstData, burstTypes, MAX_BURST, parseBurstRequest } from "./burst.js";
import { HttpError } from "../../lib/http-problem.js";

const types = burstTypes(schemas.map((s) => s.$id));

function refused(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error("not refused");
}

describe("burst: what it sends", () => {
  it("has valid data for every event type the ingress accepts", () => {
    const registry = createEventRegistry(schemas);
    expect(types).toEqual([...registry.types]);
    for (const type of types)
      for (let n = 0; n < 6; n++)
        expect(registry.validate(type, burstData(type, "b1", n)), `${type} #${n}`).toEqual([]);
  });

  it("takes a count and a type by its short name, its full name, or all of them", () => {
    expect(parseBurstRequest({ count: 10, type: "order" }, types)).toEqual({
      count: 10,
      types: ["com.example.order.created"],
    });
    expect(
      parseBurstRequest({ count: 10, type: "com.example.payment.requested" }, types).types,
    ).toEqual(["com.example.payment.requested"]);
    expect(parseBurstRequest({ count: MAX_BURST }, types).types).toEqual(types);
  });

  it("refuses a bad count or type with 400 naming the field", () => {
    for (const count of [0, -1, 1.5, "10", null, undefined, MAX_BURST + 1]) {
      const err = refused(() => parseBurstRequest({ count, type: "order" }, types));
      expect([err.status, err.errors[0]?.field], String(count)).toEqual([400, "count"]);
    }
    for (const type of ["invoice", 3, ""]) {
      const err = refused(() => parseBurstRequest({ count: 1, type }, types));
      expect([err.status, err.errors[0]?.field]).toEqual([400, "type"]);
      expect(err.message).toMatch(/order, payment|notification/);
    }
  });
});

describe("burst: how it sends", () => {
  it("posts each event to the ingress at a bounded concurrency and counts the answers", async () => {
    let inFlight = 0;
    let most = 0;
    const seen: string[] = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      inFlight++;
      most = Math.max(most, inFlight);
      const n = seen.push(url);
      JSON.parse(init?.body as string);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return new Response("{}", { status: n % 10 === 0 ? 429 : n % 25 === 0 ? 400 : 202 });
    }) as typeof fetch;
    const sender = new BurstSender({
      ingressUrl: () => "http://ingress",
      concurrency: 4,
      fetch: fakeFetch,
    });
    const started = sender.start({
      count: 100,
      types: ["com.example.order.created", "com.example.report.requested"],
    });
    expect(started).toMatchObject({ count: 100, concurrency: 4, finishedAt: null });
    await sender.settled();
    const done = sender.status()!;
    expect(most).toBe(4);
    expect(done.sent).toBe(100);
    expect(done.accepted + done.refused + done.failed).toBe(100);
    expect(done.refused).toBe(10);
    expect(done.failed).toBeGreaterThan(0);
    expect(done.lastError).toMatch(/^400/);
    expect(done.finishedAt).not.toBeNull();
    expect(
      seen.filter((u) => u === "http://ingress/events/com.example.order.created"),
    ).toHaveLength(50);
  });

  it("runs one burst at a time (409), and needs a running ingress (503)", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const fakeFetch = (async () => {
      await gate;
      return new Response("", { status: 202 });
    }) as typeof fetch;
    const sender = new BurstSender({ ingressUrl: () => "http://ingress", fetch: fakeFetch });
    sender.start({ count: 5, types: ["com.example.order.created"] });
    expect(
      refused(() => sender.start({ count: 5, types: ["com.example.order.created"] })).status,
    ).toBe(409);
    release();
    await sender.settled();
    expect(sender.status()!.accepted).toBe(5);
    const second = sender.start({ count: 1, types: ["com.example.order.created"] });
    expect(second.id).toBe(2);
    await sender.settled();

    const nowhere = new BurstSender({ ingressUrl: () => undefined, fetch: fakeFetch });
    expect(refused(() => nowhere.start({ count: 1, types })).status).toBe(503);
  });

  it("counts a request that gets no answer as failed, and stops when told", async () => {
    const fakeFetch = (async (_url: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
      )) as typeof fetch;
    const sender = new BurstSender({
      ingressUrl: () => "http://ingress",
      concurrency: 2,
      fetch: fakeFetch,
    });
    sender.start({ count: 1000, types });
    await sender.stop();
    const status = sender.status()!;
    expect(status.failed).toBe(2);
    expect(status.sent).toBe(2);
    expect(status.finishedAt).not.toBeNull();
  });
});
