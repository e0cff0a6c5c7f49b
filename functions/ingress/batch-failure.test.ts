/**
 * Security review, issue 18 item 6: the broker takes a batch event by event, so a failure midway
 * can leave some taken. The answer must say exactly which, so that a client resending the rest
 * duplicates nothing.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CloudEvent } from "cloudevents";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerUnavailableError, PublishRejectedError } from "../../lib/errors.js";
import { HttpSink } from "../../lib/http-sink.js";
import type { Sink } from "../../lib/sink.js";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";
import { createIngressApp } from "./app.js";

const REPORT = "com.example.report.requested";
const batch = (ids: string[]) => ({
  method: "POST",
  headers: { "content-type": "application/cloudevents-batch+json" },
  body: JSON.stringify(
    ids.map((id) => ({
      specversion: "1.0",
      id,
      source: "/test/batch",
      type: REPORT,
      data: { reportId: id, period: "daily" },
    })),
  ),
});

let server: Server | undefined;
afterEach(() => server?.close());

/** A broker's HTTP ingress that takes every event but those whose id is in `refuse`. */
async function brokerRefusing(refuse: string[], status: number): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(refuse.includes(String(req.headers["ce-id"])) ? status : 202).end();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("a batch the broker takes only in part", () => {
  it.each([
    [503, "Broker Unavailable"],
    [429, "Too Many Requests"],
  ])("answers %i listing exactly the events it took", async (status, title) => {
    const sink = new HttpSink({ url: await brokerRefusing(["b"], status) });
    const accepted: number[] = [];
    const app = createIngressApp({
      sink,
      registry: createEventRegistry(schemas),
      counters: { accepted: (_, n) => accepted.push(n), rejected: () => undefined },
    });
    const res = await app.request("/events", batch(["a", "b", "c"]));
    expect(res.status).toBe(status);
    expect(res.headers.get("retry-after")).toBe("1");
    const problem = (await res.json()) as { title: string; detail: string; accepted: string[] };
    expect(problem.title).toBe(title);
    expect(problem.accepted.sort()).toEqual(["a", "c"]);
    expect(problem.detail).toContain("2 of 3");
    expect(accepted).toEqual([2]);
  });

  it("says none was taken when none was", async () => {
    const failing: Sink = {
      available: true,
      send: () => Promise.reject(new BrokerUnavailableError("not connected")),
      close: () => Promise.resolve(),
    };
    const app = createIngressApp({ sink: failing, registry: createEventRegistry(schemas) });
    const res = await app.request("/events", batch(["a", "b"]));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { accepted: string[] }).accepted).toEqual([]);
  });

  it("keeps a single event's answer as it was: no list", async () => {
    const sink: Sink = {
      available: true,
      send: (_: readonly CloudEvent<unknown>[]) =>
        Promise.reject(new PublishRejectedError("queue full")),
      close: () => Promise.resolve(),
    };
    const app = createIngressApp({ sink, registry: createEventRegistry(schemas) });
    const res = await app.request(`/events/${REPORT}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "r", period: "daily" }),
    });
    expect(res.status).toBe(429);
    expect(await res.json()).not.toHaveProperty("accepted");
  });
});
