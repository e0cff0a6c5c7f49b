/**
 * Dead letters end where `leveler dlq list` finds them, on the same paths as on a cluster:
 * - a consumer that always fails (503) is retried on broker.yaml's schedule as shipped (5 retries
 *   from PT0.2S, exponential), then the dispatcher dead-letters it into the Broker's dead-letter
 *   queue, whose dispatcher hands it to the dead-letters sink;
 * - a consumer that refuses an event (400) hands it to the sink itself before answering, and the
 *   dispatcher acks the 400 as delivered (eventing-rabbitmq never dead-letters it).
 * Both are listed through the sink's API (`/api/dlq`) with knativeerrordest, code and data.
 */
import amqp from "amqplib";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toAmqp } from "../lib/cloudevent-amqp.js";
import type { DeadLetter } from "../platform/dead-letters/dead-letter.js";
import { post, startTestPlatform, type TestPlatform } from "./harness.js";

async function listed(t: TestPlatform, id: string, timeoutMs = 60_000): Promise<DeadLetter> {
  const base = t.statusUrl.replace("/api/status", "");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${base}/api/dlq`);
    if (r.ok) {
      const found = ((await r.json()) as { deadLetters: DeadLetter[] }).deadLetters.find(
        (d) => d.id === id,
      );
      if (found) return found;
    }
    if (Date.now() > deadline) throw new Error(`${id} never showed in /api/dlq (${r.status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("dead letters (real RabbitMQ, the dead-letters sink)", () => {
  let t: TestPlatform;

  beforeAll(async () => {
    // broker.yaml's delivery as shipped; the report consumer always fails.
    t = await startTestPlatform({ env: { LEVELER_REPORT_FAIL_RATE: "1" } });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("a consumer that always fails is dead-lettered after broker.yaml's 5 retries and listed", async () => {
    const r = await post(`${t.ingressUrl}/events/com.example.report.requested`, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "r-1", period: "daily" }),
    });
    expect(r.status).toBe(202);
    const letter = await listed(t, r.body.id);
    const status = await t.status();
    const report = status.triggers.find((tr) => tr.name === "report")!;
    // 1 attempt + 5 retries, then dead-lettered once.
    expect(report.dispatcher.retries).toBe(5);
    expect(status.events.byType["com.example.report.requested"]).toMatchObject({
      processed: 0,
      deadLettered: 1,
    });
    expect(letter).toMatchObject({
      type: "com.example.report.requested",
      errorCode: "503",
      errorDestination: report.subscriber,
    });
    expect(letter.errorData).toContain("FAIL_RATE");
  });

  it("a consumer that answers 400 leaves the event in the dead letters, with the reason", async () => {
    // A producer that bypasses the ingress publishes an event the consumer can never process.
    const id = `poison-${Date.now()}`;
    const connection = await amqp.connect(t.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const { content, properties } = toAmqp(
        new CloudEvent({
          id,
          source: "/rogue-producer",
          type: "com.example.report.requested",
          datacontenttype: "application/json",
          data: { reportId: 42, period: "daily" },
        }),
      );
      channel.publish(t.exchange, "", content, properties);
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const letter = await listed(t, id);
    expect(letter.errorCode).toBe("400");
    expect(letter.errorData).toMatch(/poison: data.reportId/);
    expect(letter.errorDestination).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // The dispatcher acked the 400 as delivered: it dead-lettered nothing more, retried nothing more.
    const status = await t.status();
    expect(status.events.deadLettered).toBe(1);
    expect(status.triggers.find((tr) => tr.name === "report")!.dispatcher.retries).toBe(5);
  });
});
