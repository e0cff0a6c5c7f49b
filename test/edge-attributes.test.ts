/**
 * Security review, issue 18 item 6: attributes the HTTP delivery to a consumer cannot carry
 * (control or non-Latin-1 characters, more header bytes than a consumer takes) are refused at the
 * real ingress with a 400, and nothing of the request is published, a batch included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdgeIngress, type EdgeIngress } from "./edge-ingress.js";

const REPORT = "com.example.report.requested";
const event = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: "1.0",
  id,
  source: "/test/attributes",
  type: REPORT,
  data: { reportId: "r", period: "daily" },
  ...extra,
});

let ingress: EdgeIngress;
beforeAll(async () => {
  ingress = await startEdgeIngress();
});
afterAll(async () => {
  await ingress?.stop();
});

async function post(body: unknown, contentType: string) {
  const r = await fetch(`${ingress.url}/events`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as { errors?: { field: string }[] } };
}

describe("attributes a consumer could not receive", () => {
  it.each([
    ["a control character", event("a\u0001b"), "id"],
    ["a C1 control character", event("a\u0085b"), "id"],
    ["a character beyond Latin-1", event("order-\u{1F4A5}"), "id"],
    ["an extension of 20 KiB", event("e1", { big: "x".repeat(20 * 1024) }), "big"],
    ["a trailing space", event("e2 "), "id"],
  ])("refuses %s with a 400 naming the attribute", async (_, body, field) => {
    const answer = await post(body, "application/cloudevents+json");
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.field)).toContain(field);
  });

  it("refuses a batch with one such event whole, and publishes nothing of any of it", async () => {
    const answer = await post(
      [event("ok-1"), event("bad\u0007"), event("ok-2")],
      "application/cloudevents-batch+json",
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.field)).toEqual(["[1].id"]);

    // A valid event now: once it has arrived, everything published before it has too (one
    // channel keeps order), and it must be alone.
    const ok = await post(event("latin-1 é is fine"), "application/cloudevents+json");
    expect(ok.status).toBe(202);
    for (const deadline = Date.now() + 10_000; ingress.published.length === 0;) {
      if (Date.now() > deadline) throw new Error("the valid event was not published");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ingress.published.map((m) => m.properties.messageId as string)).toEqual([
      "latin-1 é is fine",
    ]);
  });
});
