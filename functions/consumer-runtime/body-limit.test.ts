import { afterEach, describe, expect, it } from "vitest";
import type { Outcome } from "./consumer.js";
import { serveConsumer, type ServedConsumer } from "./consumer-server.js";

const TYPE = "com.example.report.requested";
const served: ServedConsumer[] = [];
afterEach(() => Promise.all(served.splice(0).map((s) => s.close())));
const consumer = async (options: Parameters<typeof serveConsumer>[0]) => {
  const s = await serveConsumer(options);
  served.push(s);
  return s;
};

describe("a consumer's request body limit", () => {
  it("refuses a body over the limit with 413 before any work; one under it is served", async () => {
    let calls = 0;
    const app = await consumer({
      type: TYPE,
      source: "/leveler/report",
      handle: (): Promise<Outcome> => {
        calls++;
        return Promise.resolve({ kind: "processed", result: {} });
      },
      maxBodyBytes: 1024,
    });
    const deliver = (id: string, body: string) =>
      app.request("/", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "ce-specversion": "1.0",
          "ce-id": id,
          "ce-source": "/test",
          "ce-type": TYPE,
        },
        body,
      });
    const big = await deliver("big", JSON.stringify({ pad: "x".repeat(4096) }));
    expect(big.status).toBe(413);
    expect(calls).toBe(0);
    expect((await deliver("small", JSON.stringify({ pad: "x" }))).status).toBe(200);
    expect(calls).toBe(1);
  });

  it("takes 256 KiB of data and its envelope by default, and no more", async () => {
    const app = await consumer({
      type: TYPE,
      source: "/leveler/report",
      handle: () => Promise.resolve({ kind: "processed", result: {} }),
    });
    const answer = await app.request("/", {
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
