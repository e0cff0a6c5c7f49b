/** The consumer's HTTP adapter over real HTTP: what is not a delivery, and bodies too large to read. */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "./consumer.js";
import { serveConsumer, type ServedConsumer } from "./consumer-server.js";

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
    const elsewhere = await consumer.request("/events", { method: "POST", body: "{}" });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ error: "nothing at /events: deliveries go to /" });
    const get = await consumer.request("/");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(calls).toBe(0);
  });

  it("refuses a chunked body once it passes the limit, and closes the connection", async () => {
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
    expect(calls).toBe(0);
  });

  it("reads a body as fetch's text() does: UTF-8, without a leading byte order mark", async () => {
    const answer = await consumer.request("/", {
      method: "POST",
      headers: { ...HEADERS, "ce-id": "bom" },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"reportId":"é"}')]),
    });
    expect(answer.status).toBe(200);
    expect(calls).toBe(1);
  });
});
