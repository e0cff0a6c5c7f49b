/**
 * Dead letters you can act on: events dead-lettered by a failing consumer are listed with their
 * error destination and code; after the consumer is fixed (the platform restarted with the same
 * queues), replaying them processes them and empties the dead-letter queue. Changing state
 * without the control token is refused.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { DeadLetter } from "../platform/dead-letters/dead-letter.js";
import { post, startTestPlatform, type TestPlatform } from "./harness.js";

const fast = (doc: { kind?: string; spec: Record<string, unknown> }) => {
  if (doc.kind === "Broker")
    doc.spec.delivery = {
      // Keep the Broker's deadLetterSink: without it there is no dead-letter exchange.
      ...(doc.spec.delivery as object),
      retry: 1,
      backoffPolicy: "linear",
      backoffDelay: "PT0.01S",
      timeout: "PT5S",
    };
};

describe("dead letters: list and replay (real RabbitMQ)", () => {
  let t: TestPlatform | undefined;

  afterAll(async () => {
    await t?.stop();
  });

  it("lists dead letters, refuses an unauthenticated replay, and replays them once the consumer works", async () => {
    t = await startTestPlatform({ env: { LEVELER_REPORT_FAIL_RATE: "1" }, edit: fast });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(`${t.ingressUrl}/events/com.example.report.requested`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportId: `r-${i}`, period: "weekly" }),
      });
      ids.push(r.body.id);
    }
    const base = t.statusUrl.replace("/api/status", "");
    let letters: DeadLetter[] = [];
    const deadline = Date.now() + 30_000;
    while (letters.length < 3 && Date.now() < deadline) {
      letters = ((await (await fetch(`${base}/api/dlq`)).json()) as { deadLetters: DeadLetter[] })
        .deadLetters;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(letters.map((l) => l.id).sort()).toEqual([...ids].sort());
    for (const l of letters) {
      expect(l.type).toBe("com.example.report.requested");
      expect(l.errorCode).toBe("503");
      expect(l.errorDestination).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    }
    // Listing does not consume.
    const again = ((await (await fetch(`${base}/api/dlq`)).json()) as { deadLetters: DeadLetter[] })
      .deadLetters;
    expect(again).toHaveLength(3);

    const refused = await fetch(`${base}/api/dlq/replay`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    const wrong = await fetch(`${base}/api/dlq/replay`, {
      method: "POST",
      headers: { authorization: "Bearer nope" },
      body: "{}",
    });
    expect(wrong.status).toBe(401);

    // "Fix the consumer and redeploy": the same queues, a consumer that works.
    const instance = t.instance;
    await t.stop({ keepTopology: true });
    t = await startTestPlatform({ instance, edit: fast });
    const replies = await t.tap({ type: "com.example.report.requested.processed" });
    const base2 = t.statusUrl.replace("/api/status", "");
    const replay = await fetch(`${base2}/api/dlq/replay`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "com.example.report.requested", id: ids[0] }),
    });
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { replayed: string[] }).replayed).toEqual([ids[0]]);
    const rest = await fetch(`${base2}/api/dlq/replay`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}` },
      body: JSON.stringify({ type: "com.example.report.requested" }),
    });
    expect(((await rest.json()) as { replayed: string[] }).replayed.sort()).toEqual(
      ids.slice(1).sort(),
    );

    await replies.waitFor(3, 30_000);
    const processed = new Set(
      replies.messages.map(
        (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId,
      ),
    );
    expect([...processed].sort()).toEqual([...ids].sort());
    const left = ((await (await fetch(`${base2}/api/dlq`)).json()) as { deadLetters: DeadLetter[] })
      .deadLetters;
    expect(left).toEqual([]);
  });
});
