/**
 * At least once, executed once, end to end: the same CloudEvent (same source and id) published
 * twice into the Broker's exchange, as a producer that retries or a redelivery would, is delivered
 * twice and executed once, and both deliveries get the same reply.
 */
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitHttp } from "../bench/lib/process.js";
import { toAmqp } from "../lib/cloudevent-amqp.js";
import { startTestPlatform, type Tap, type TestPlatform } from "./harness.js";

const REPORT = "com.example.report.requested";

describe("idempotency end to end (real RabbitMQ, real processes)", () => {
  let t: TestPlatform;
  let replies: Tap;

  beforeAll(async () => {
    t = await startTestPlatform({
      // One report replica for the whole test: its record of processed events is per process
      // (README, "At least once, executed once"), so both deliveries must reach the same one.
      edit: (doc) => {
        if (doc.kind === "Service" && doc.metadata.name === "report") {
          const template = doc.spec.template as {
            metadata: { annotations: Record<string, string> };
          };
          template.metadata.annotations["autoscaling.knative.dev/min-scale"] = "1";
          template.metadata.annotations["autoscaling.knative.dev/max-scale"] = "1";
        }
      },
    });
    replies = await t.tap({ type: `${REPORT}.processed` });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("the same event published twice: two deliveries, one execution, the same reply both times", async () => {
    const event = new CloudEvent({
      id: randomUUID(),
      source: "/retrying-producer",
      type: REPORT,
      datacontenttype: "application/json",
      data: { reportId: "twice", period: "weekly" },
    });
    const connection = await amqp.connect(t.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const { content, properties } = toAmqp(event);
      channel.publish(t.exchange, "", content, properties);
      await channel.waitForConfirms();
      // The second copy once the first is answered, so the record holds the finished reply.
      await replies.waitFor(1, 30_000);
      channel.publish(t.exchange, "", content, properties);
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    await replies.waitFor(2, 30_000);

    const mine = replies.messages.filter(
      (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId === event.id,
    );
    expect(mine).toHaveLength(2);
    const [first, second] = mine as [(typeof mine)[0], (typeof mine)[0]];
    expect(second.properties.headers?.id).toBe(first.properties.headers?.id);
    expect(second.content.toString()).toBe(first.content.toString());

    // The consumer's own count: one delivery ran the work, the other was answered from the record.
    const report = (await t.status()).functions.find((f) => f.name === "report")!;
    expect(report.processes).toHaveLength(1);
    // A function opens its metrics port METRICS_DELAY_MS after it listens (lib/runtime/run.ts), and
    // on a fast machine both deliveries are answered before that; what it counted meanwhile is
    // replayed into them (deferred-meter.ts), so waiting for the port loses nothing.
    const { metricsUrl } = report.processes[0]!;
    await waitHttp(metricsUrl);
    const metrics = await (await fetch(metricsUrl)).text();
    const count = (kind: string) =>
      Number(
        new RegExp(
          `^leveler_consumer_deliveries_total\\{[^}]*delivery="${kind}"[^}]*\\} (\\d+)`,
          "m",
        ).exec(metrics)?.[1] ?? 0,
      );
    expect({ executed: count("executed"), duplicate: count("duplicate") }).toEqual({
      executed: 1,
      duplicate: 1,
    });
  });
});
