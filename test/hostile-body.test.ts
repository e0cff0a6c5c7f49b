/**
 * Security review, issue 18 item 1: a ~180 KB body whose data breaks the schema 180,000 times
 * must cost the ingress one bounded answer, not a 10 MB one or its heap. Sent to a real ingress
 * process under the production memory flags, several at once; the ingress must then still take a
 * valid event.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdgeIngress, type EdgeIngress } from "./edge-ingress.js";

const ORDER = "com.example.order.created";
const hostileData = `{"orderId":"o","currency":"EUR","items":[${Array(60_000).fill("{}").join(",")}]}`;
const ce = (type: string) => ({
  "ce-specversion": "1.0",
  "ce-id": `id-${Math.random()}`,
  "ce-source": "/test/hostile",
  "ce-type": type,
  "content-type": "application/json",
});

let ingress: EdgeIngress;
beforeAll(async () => {
  ingress = await startEdgeIngress();
});
afterAll(async () => {
  await ingress?.stop();
});

describe("a hostile body at a real ingress under its production heap cap", () => {
  it("answers each with a small 400, stays up and then takes a valid event", async () => {
    expect(hostileData.length).toBeGreaterThan(175_000);
    const batch = JSON.stringify([
      {
        specversion: "1.0",
        id: "h1",
        source: "/test/hostile",
        type: ORDER,
        data: JSON.parse(hostileData) as unknown,
      },
    ]);
    const requests = [
      ...Array.from({ length: 3 }, () => ({
        path: "/events",
        headers: ce(ORDER),
        body: hostileData,
      })),
      {
        path: `/events/${ORDER}`,
        headers: { "content-type": "application/json" },
        body: hostileData,
      },
      {
        path: "/events",
        headers: { "content-type": "application/cloudevents-batch+json" },
        body: batch,
      },
    ];
    const answers = await Promise.all(
      requests.map(async (r) => {
        const response = await fetch(ingress.url + r.path, {
          method: "POST",
          headers: r.headers,
          body: r.body,
        });
        return { status: response.status, text: await response.text() };
      }),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.text.length).toBeLessThan(4096);
      expect(JSON.parse(answer.text)).toMatchObject({ title: "Invalid event" });
      expect((JSON.parse(answer.text) as { detail: string }).detail).toContain("data.items");
    }
    expect(ingress.exited()).toBeUndefined();

    const valid = await fetch(`${ingress.url}/events`, {
      method: "POST",
      headers: ce(ORDER),
      body: JSON.stringify({
        orderId: "o1",
        currency: "EUR",
        items: [{ sku: "a", quantity: 1, unitPrice: 1 }],
      }),
    });
    expect(valid.status).toBe(202);
    expect(ingress.exited()).toBeUndefined();
  });
});
