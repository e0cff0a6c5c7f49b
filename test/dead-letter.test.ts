/**
 * A consumer that always fails: each event is tried 1 + retry times, then lands in the Broker's
 * dead-letter queue with Knative's error extensions, and does not hold up the events behind it.
 */
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, startTestPlatform, type TestPlatform } from "./harness.js";

describe("dead letters (real RabbitMQ)", () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform({
      env: { LEVELER_REPORT_FAIL_RATE: "1" },
      edit: (doc) => {
        if (doc.kind === "Broker")
          doc.spec.delivery = {
            retry: 2,
            backoffPolicy: "exponential",
            backoffDelay: "PT0.01S",
            timeout: "PT5S",
          };
      },
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("ends in the dead-letter queue after the configured attempts, with knativeerrordest and knativeerrorcode", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(`${t.ingressUrl}/events/com.example.report.requested`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportId: `r-${i}`, period: "daily" }),
      });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    // An order sent after them is processed normally: the failing type holds nothing else up.
    const order = await post(`${t.ingressUrl}/events/com.example.order.created`, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        orderId: "o",
        currency: "EUR",
        items: [{ sku: "A", quantity: 1, unitPrice: 1 }],
      }),
    });
    expect(order.status).toBe(202);

    const deadline = Date.now() + 30_000;
    let status = await t.status();
    while (
      (status.events.deadLettered < 3 || status.events.processed < 1) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
      status = await t.status();
    }
    expect(status.events.byType["com.example.report.requested"]).toMatchObject({
      accepted: 3,
      processed: 0,
      deadLettered: 3,
    });
    expect(status.events.byType["com.example.order.created"]).toMatchObject({
      accepted: 1,
      processed: 1,
    });
    // 3 events × 2 retries each.
    expect(status.triggers.find((tr) => tr.name === "report")!.dispatcher.retries).toBe(6);

    const dlq = t.platform.plan.brokers[0]!.deadLetterQueue;
    const connection = await amqp.connect(t.amqpUrl);
    try {
      const channel = await connection.createChannel();
      const found: Record<string, unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await channel.get(dlq, { noAck: false });
        if (!m) break;
        found.push(m.properties.headers ?? {});
        channel.nack(m, false, true); // leave them for whoever inspects the DLQ
      }
      expect(found.map((h) => h.id).sort()).toEqual([...ids].sort());
      const subscriber = status.triggers.find((tr) => tr.name === "report")!.subscriber;
      for (const h of found) {
        expect(h.knativeerrordest).toBe(subscriber);
        expect(h.knativeerrorcode).toBe(503); // an integer, as eventing-rabbitmq writes it
        expect(Buffer.from(String(h.knativeerrordata), "base64").toString()).toContain("FAIL_RATE");
      }
      await channel.close();
    } finally {
      await connection.close();
    }
  });
});
