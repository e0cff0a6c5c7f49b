/**
 * The pipeline end to end against the real RabbitMQ: HTTP in every content mode → broker →
 * triggers → consumers → replies, checked id by id.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlatformStatus } from "../platform/status/status-document.js";
import type { TimelineSample } from "../platform/status/timeline.js";
import { post, startTestPlatform, type Tap, type TestPlatform } from "./harness.js";

const TYPES = [
  "com.example.order.created",
  "com.example.payment.requested",
  "com.example.notification.requested",
  "com.example.report.requested",
] as const;
const CONSUMER = {
  "com.example.order.created": "order",
  "com.example.payment.requested": "payment",
  "com.example.notification.requested": "notification",
  "com.example.report.requested": "report",
} as const;

function dataFor(type: (typeof TYPES)[number], i: number): Record<string, unknown> {
  switch (type) {
    case "com.example.order.created":
      return {
        orderId: `o-${i}`,
        currency: "EUR",
        items: [{ sku: "A", quantity: 1 + (i % 3), unitPrice: 9.5 }],
      };
    case "com.example.payment.requested":
      return { paymentId: `p-${i}`, orderId: `o-${i}`, amount: 10 + i, currency: "USD" };
    case "com.example.notification.requested":
      return {
        notificationId: `n-${i}`,
        channel: (["email", "sms", "push"] as const)[i % 3],
        recipient: `user${i}@example.com`,
      };
    case "com.example.report.requested":
      return { reportId: `r-${i}`, period: (["daily", "weekly", "monthly"] as const)[i % 3] };
  }
}

describe("pipeline (real RabbitMQ, real processes)", () => {
  let t: TestPlatform;
  let everything: Tap;

  beforeAll(async () => {
    // Payments fail a fifth of the time: the dispatcher's retries must carry every one through.
    t = await startTestPlatform({
      env: { LEVELER_PAYMENT_FAIL_RATE: "0.2" },
      edit: (doc) => {
        if (doc.kind === "Broker")
          doc.spec.delivery = {
            // Keep the Broker's deadLetterSink: without it there is no dead-letter exchange.
            ...(doc.spec.delivery as object),
            retry: 10,
            backoffPolicy: "linear",
            backoffDelay: "PT0.02S",
            timeout: "PT10S",
          };
      },
    });
    everything = await t.tap({});
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("processes 1,000 mixed events from every content mode exactly once, by the right consumer", async () => {
    const replyTap = await Promise.all(TYPES.map((type) => t.tap({ type: `${type}.processed` })));
    const accepted = new Map<string, string>(); // id → type
    const sends: Promise<void>[] = [];
    let n = 0;
    const next = () => {
      const i = n++;
      return { i, type: TYPES[i % TYPES.length]! };
    };
    // 250 via /events/<type>, 250 binary, 250 structured, 250 in batches of 25.
    for (let k = 0; k < 250; k++) {
      const { i, type } = next();
      sends.push(
        post(`${t.ingressUrl}/events/${type}`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(dataFor(type, i)),
        }).then((r) => {
          expect(r.status).toBe(202);
          accepted.set(r.body.id, type);
        }),
      );
    }
    for (let k = 0; k < 250; k++) {
      const { i, type } = next();
      const id = randomUUID();
      sends.push(
        post(`${t.ingressUrl}/events`, {
          headers: {
            "content-type": "application/json",
            "ce-specversion": "1.0",
            "ce-id": id,
            "ce-source": "/test/binary",
            "ce-type": type,
          },
          body: JSON.stringify(dataFor(type, i)),
        }).then((r) => {
          expect(r.status).toBe(202);
          expect(r.body.id).toBe(id);
          accepted.set(id, type);
        }),
      );
    }
    for (let k = 0; k < 250; k++) {
      const { i, type } = next();
      const id = randomUUID();
      sends.push(
        post(`${t.ingressUrl}/events`, {
          headers: { "content-type": "application/cloudevents+json" },
          body: JSON.stringify({
            specversion: "1.0",
            id,
            source: "/test/structured",
            type,
            data: dataFor(type, i),
          }),
        }).then((r) => {
          expect(r.status).toBe(202);
          accepted.set(id, type);
        }),
      );
    }
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 25 }, () => {
        const { i, type } = next();
        return {
          specversion: "1.0",
          id: randomUUID(),
          source: "/test/batch",
          type,
          data: dataFor(type, i),
        };
      });
      sends.push(
        post(`${t.ingressUrl}/events`, {
          headers: { "content-type": "application/cloudevents-batch+json" },
          body: JSON.stringify(batch),
        }).then((r) => {
          expect(r.status).toBe(202);
          expect(r.body.ids).toEqual(batch.map((e) => e.id));
          for (const e of batch) accepted.set(e.id, e.type);
        }),
      );
    }
    await Promise.all(sends);
    expect(accepted.size).toBe(1000);

    const total = () => replyTap.reduce((sum, tap) => sum + tap.messages.length, 0);
    const deadline = Date.now() + 120_000;
    while (total() < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (total() < 1000) console.log(JSON.stringify(await t.status(), null, 1));
    await new Promise((r) => setTimeout(r, 500)); // a duplicate, if any, would arrive now

    const seen = new Map<string, number>();
    for (const tap of replyTap) {
      for (const m of tap.messages) {
        const data = JSON.parse(m.content.toString()) as { eventId: string };
        const originalType = String(m.properties.headers?.type).replace(/\.processed$/, "");
        expect(accepted.get(data.eventId)).toBe(originalType);
        expect(m.properties.headers?.source).toBe(
          `/leveler/${CONSUMER[originalType as keyof typeof CONSUMER]}`,
        );
        seen.set(data.eventId, (seen.get(data.eventId) ?? 0) + 1);
      }
    }
    const missing = [...accepted.keys()].filter((id) => !seen.has(id));
    const duplicates = [...seen].filter(([, count]) => count > 1);
    expect(missing).toEqual([]);
    expect(duplicates).toEqual([]);

    const status = (await (await fetch(t.statusUrl)).json()) as PlatformStatus;
    expect(status.events.accepted).toBe(1000);
    expect(status.events.processed).toBe(1000);
    expect(status.events.deadLettered).toBe(0);
    for (const type of TYPES)
      expect(status.events.byType[type]).toEqual({
        accepted: 250,
        processed: 250,
        deadLettered: 0,
      });
    // The failing payments were retried, not lost.
    const payment = status.triggers.find((tr) => tr.name === "payment")!;
    expect(payment.dispatcher.retries).toBeGreaterThan(0);
    expect(payment.queueDepth).toBe(0);
    // The four Triggers' dispatchers share one process (dispatcher-group.ts), each with its own
    // counters (byType above) and its own series in the process's metrics.
    const pids = new Set(status.triggers.map((tr) => tr.dispatcher.pid));
    expect(pids.size).toBe(1);
    expect([...pids][0]).toEqual(expect.any(Number));
    const metrics = await (await fetch(payment.dispatcher.metricsUrl as string)).text();
    for (const trigger of Object.values(CONSUMER)) {
      const delivered = [
        ...metrics.matchAll(
          new RegExp(
            `^leveler_dispatcher_deliveries_total\\{(?=[^}]*leveler_trigger="${trigger}")[^}]*http_response_status_code="200"[^}]*\\} (\\S+)$`,
            "gm",
          ),
        ),
      ].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(delivered, trigger).toBe(250);
    }
    // The shipped functions (a user's `leveler new` adds to them).
    expect(status.functions.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        "dead-letters",
        "ingress",
        "notification",
        "order",
        "payment",
        "report",
      ]),
    );
    expect(status.brokers.map((b) => b.exchange)).toEqual([t.exchange]);

    // The timeline saw the same run: its last totals match, and its rates add up to them.
    await new Promise((r) => setTimeout(r, 600));
    const timeline = (await (await fetch(new URL("/api/timeline", t.statusUrl))).json()) as {
      intervalMs: number;
      samples: TimelineSample[];
    };
    expect(timeline.intervalMs).toBe(250);
    const last = timeline.samples.at(-1)!;
    expect(last.totals).toMatchObject({ accepted: 1000, processed: 1000, deadLettered: 0 });
    // The event consumers are the Services a Trigger delivers to: not the dead-letter sink.
    expect(Object.keys(last.consumers)).toEqual(
      expect.arrayContaining(["notification", "order", "payment", "report"]),
    );
    expect(Object.keys(last.consumers)).not.toContain("dead-letters");
    expect(Object.keys(last.consumers).sort()).toEqual(Object.keys(last.queues).sort());
    expect(last.queues).toMatchObject({ notification: 0, order: 0, payment: 0, report: 0 });
    expect(timeline.samples.some((s) => s.replicas.order! > 0)).toBe(true);
    const integrated = (pick: (s: TimelineSample) => number) =>
      timeline.samples
        .slice(1)
        .reduce((sum, s, i) => sum + (pick(s) * (s.t - timeline.samples[i]!.t)) / 1000, 0);
    const first = timeline.samples[0]!.totals;
    expect(Math.round(integrated((s) => s.ingress.accepted))).toBe(1000 - first.accepted);
    expect(
      Math.round(integrated((s) => Object.values(s.consumers).reduce((a, b) => a + b, 0))),
    ).toBe(1000 - first.processed);
  }, 180_000);

  it("publishes nothing for a rejected request", async () => {
    const before = everything.messages.length;
    const bad = [
      post(`${t.ingressUrl}/events/com.example.order.created`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ orderId: "x" }),
      }),
      post(`${t.ingressUrl}/events/com.example.unknown`, {
        headers: { "content-type": "application/json" },
        body: "{}",
      }),
      post(`${t.ingressUrl}/events`, { headers: { "content-type": "text/plain" }, body: "hi" }),
      post(`${t.ingressUrl}/events`, {
        headers: { "content-type": "application/cloudevents+json" },
        body: "{not json",
      }),
      post(`${t.ingressUrl}/events/com.example.report.requested`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportId: "r", period: "daily", pad: "x".repeat(300 * 1024) }),
      }),
    ];
    expect((await Promise.all(bad)).map((r) => r.status)).toEqual([400, 400, 415, 400, 413]);
    // A good event sent after them is the next thing on the exchange.
    const good = await post(`${t.ingressUrl}/events/com.example.report.requested`, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "after", period: "daily" }),
    });
    expect(good.status).toBe(202);
    await everything.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 300));
    const arrived = everything.messages
      .slice(before)
      .filter((m) => !String(m.properties.headers?.type).endsWith(".processed"));
    expect(arrived.map((m) => String(m.properties.headers?.id))).toEqual([good.body.id]);
  });
});
