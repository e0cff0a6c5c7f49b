/** The consumer's HTTP adapter over real HTTP: what is not a delivery, and the request body limit. */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "./consumer.js";
import { serveConsumer, servedPerTest, type ServedConsumer } from "./consumer-server.js";

const TYPE = "com.example.report.requested";
const HEADERS = {
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-source": "/test",
  "ce-type": TYPE,
};

describe("a consumer over HTTP", () => {
  let consumer: ServedConsumer;
  let calls = 0;
  beforeAll(async () => {
    consumer = await serveConsumer({
      type: TYPE,
      source: "/leveler/report",
      handle: (): Promise<Outcome> => {
        calls++;
        return Promise.resolve({ kind: "processed", result: {} });
      },
      maxBodyBytes: 1024,
    });
  });
  afterAll(() => consumer.close());

  it("answers 404 off its one path and 405 (Allow: POST) to another method on it", async () => {
    const before = calls;
    const elsewhere = await consumer.request("/events", { method: "POST", body: "{}" });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ error: "nothing at /events: deliveries go to /" });
    const get = await consumer.request("/");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(calls).toBe(before);
  });

  it("refuses a declared body over the limit with 413 before any work; one under it is served", async () => {
    const deliver = (id: string, body: string) =>
      consumer.request("/", { method: "POST", headers: { ...HEADERS, "ce-id": id }, body });
    const before = calls;
    expect((await deliver("big", JSON.stringify({ pad: "x".repeat(4096) }))).status).toBe(413);
    expect(calls).toBe(before);
    expect((await deliver("small", JSON.stringify({ pad: "x" }))).status).toBe(200);
    expect(calls).toBe(before + 1);
  });

  it("refuses a chunked body once it passes the limit, and closes the connection", async () => {
    const before = calls;
    // No content-length: the limit is found while reading, not from the header.
    const answer = await new Promise<{ status: number; connection?: string; body: string }>(
      (resolve, reject) => {
        const url = new URL(consumer.url);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method: "POST",
            path: "/",
            headers: { ...HEADERS, "ce-id": "chunked", "transfer-encoding": "chunked" },
          },
          (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (body += c));
            res.once("end", () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
            );
          },
        );
        req.once("error", reject);
        for (let i = 0; i < 8; i++) req.write(`{"pad":"${"x".repeat(200)}"}`);
        req.end();
      },
    );
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe("close");
    expect(JSON.parse(answer.body)).toEqual({
      error: "the request body exceeds 1024 bytes (MAX_EVENT_BYTES)",
    });
    expect(calls).toBe(before);
  });

  it("reads a body as fetch's text() does: UTF-8, without a leading byte order mark", async () => {
    const before = calls;
    const answer = await consumer.request("/", {
      method: "POST",
      headers: { ...HEADERS, "ce-id": "bom" },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"reportId":"é"}')]),
    });
    expect(answer.status).toBe(200);
    expect(calls).toBe(before + 1);
  });
});

describe("a consumer's default body limit", () => {
  const serve = servedPerTest();
  it("takes 256 KiB of data and its envelope, and no more", async () => {
    const consumer = await serve({
      type: TYPE,
      source: "/leveler/report",
      handle: () => Promise.resolve({ kind: "processed", result: {} }),
    });
    const answer = await consumer.request("/", {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify({
        specversion: "1.0",
        id: "x",
        source: "/t",
        type: TYPE,
        data: "y".repeat(300 * 1024),
      }),
    });
    expect(answer.status).toBe(413);
  });
});
