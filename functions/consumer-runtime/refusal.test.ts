/**
 * A refused event reaches the dead-letter sink before the 400, over real HTTP (a server stands in
 * for the dead-letters Service), and a sink that does not take it turns the answer into a 503.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpSink } from "../../lib/http-sink.js";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";
import type { Outcome } from "./consumer.js";
import { servedPerTest, type ServedConsumer } from "./consumer-server.js";
import { ERROR_DATA_MAX, withRefusal } from "./refusal.js";

const TYPE = "com.example.report.requested";

/** A port nothing listens on: bound by the kernel, then released. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createTcpServer().listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
const registry = createEventRegistry(schemas);

describe("refused events go to the dead-letter sink first", () => {
  let server: Server;
  let sinkUrl: string;
  let sinkStatus = 202;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (sinkStatus < 300)
          received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(sinkStatus).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    sinkUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received.length = 0;
    sinkStatus = 202;
  });

  const serve = servedPerTest();
  const app = async (url: () => string, handle?: () => Outcome) => {
    let executions = 0;
    const consumer = await serve({
      type: TYPE,
      source: "/leveler/report",
      handle: (): Promise<Outcome> => {
        executions++;
        return Promise.resolve(handle?.() ?? { kind: "processed", result: {} });
      },
      validate: (data) => registry.validate(TYPE, data),
      deadLetter: (event) => new HttpSink({ url: url(), timeoutMs: 2_000 }).send([event]),
    });
    return { consumer, executions: () => executions };
  };
  const deliver = (consumer: ServedConsumer, id: string, data: unknown, type = TYPE) =>
    consumer.request("/", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": id,
        "ce-source": "/test",
        "ce-type": type,
      },
      body: JSON.stringify(data),
    });

  it("hands a poison event to the sink with knativeerror* extensions, then answers 400", async () => {
    const { consumer, executions } = await app(() => sinkUrl);
    const response = await deliver(consumer, "p-1", { reportId: "r", period: "hourly" });
    expect(response.status).toBe(400);
    expect(received).toHaveLength(1);
    const h = received[0]!.headers;
    expect(h["ce-id"]).toBe("p-1");
    expect(h["ce-type"]).toBe(TYPE);
    expect(h["ce-knativeerrorcode"]).toBe("400");
    // The address the dispatcher called, Host header and all.
    expect(h["ce-knativeerrordest"]).toBe(`${consumer.url}/`);
    const data = Buffer.from(String(h["ce-knativeerrordata"]), "base64").toString();
    expect(data).toBe(await response.text());
    expect(data).toContain("poison: data.period");
    expect(JSON.parse(received[0]!.body)).toEqual({ reportId: "r", period: "hourly" });
    expect(executions()).toBe(0);
  });

  it("answers 503 (retryable) when the sink refuses, and hands it off again on the redelivery", async () => {
    const { consumer } = await app(() => sinkUrl);
    sinkStatus = 503;
    const first = await deliver(consumer, "p-2", { reportId: "r", period: "hourly" });
    expect(first.status).toBe(503);
    expect(await first.text()).toMatch(/dead-letter sink did not take the refused event/);
    expect(received).toHaveLength(0);
    sinkStatus = 202;
    expect((await deliver(consumer, "p-2", { reportId: "r", period: "hourly" })).status).toBe(400);
    expect(received.map((r) => r.headers["ce-id"])).toEqual(["p-2"]);
    // The refusal is remembered now: a duplicate gets the 400 without a second hand-off.
    expect((await deliver(consumer, "p-2", { reportId: "r", period: "hourly" })).status).toBe(400);
    expect(received).toHaveLength(1);
  });

  it("answers 503 when the sink cannot be reached at all", async () => {
    const closed = `http://127.0.0.1:${await closedPort()}/`;
    const { consumer } = await app(() => closed);
    expect((await deliver(consumer, "p-3", { reportId: "r", period: "hourly" })).status).toBe(503);
  });

  it("hands off what the handler rejects and what was routed to the wrong consumer", async () => {
    const { consumer } = await app(
      () => sinkUrl,
      () => ({ kind: "reject", reason: "report r does not exist" }),
    );
    expect((await deliver(consumer, "r-1", { reportId: "r", period: "daily" })).status).toBe(400);
    expect(
      (await deliver(consumer, "w-1", { orderId: "o" }, "com.example.order.created")).status,
    ).toBe(400);
    expect(
      received.map((r) => [
        r.headers["ce-id"],
        Buffer.from(String(r.headers["ce-knativeerrordata"]), "base64").toString(),
      ]),
    ).toEqual([
      ["r-1", JSON.stringify({ error: "report r does not exist" })],
      [
        "w-1",
        JSON.stringify({
          error: "this consumer takes com.example.report.requested, not com.example.order.created",
        }),
      ],
    ]);
  });

  it("cuts the base64 error data to Knative's 1024 characters", () => {
    const event = new CloudEvent<unknown>({ id: "x", source: "/s", type: "t" }, false);
    const refused = withRefusal(event, {
      destination: "http://d/",
      code: 400,
      body: "x".repeat(5000),
    });
    expect(String(refused.knativeerrordata)).toHaveLength(ERROR_DATA_MAX);
    expect(refused.knativeerrorcode).toBe("400");
  });
});
