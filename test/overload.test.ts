/**
 * A bounded queue refuses what it cannot hold: the ingress answers 429 with Retry-After, the
 * refused event is not counted as accepted, and every 202 is still processed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "./harness.js";

describe("overload (real RabbitMQ)", () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform({
      env: { LEVELER_REPORT_WORK_MS: "300", LEVELER_REPORT_WORK_SHAPE: "io" },
      edit: (doc) => {
        if (doc.kind === "OperatorPolicy")
          (doc.spec.definition as Record<string, unknown>)["max-length"] = 5;
        if (doc.kind === "Trigger" && doc.metadata.name === "report")
          doc.metadata.annotations = { "rabbitmq.eventing.knative.dev/parallelism": "1" };
        // A fixed pace of one delivery, not one growing with the backlog.
        if (doc.kind === "ScaledObject" && doc.metadata.name === "report-dispatcher")
          doc.metadata.annotations = { "autoscaling.keda.sh/paused-replicas": "1" };
      },
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("answers 429 with Retry-After once the queue is full, and processes every 202", async () => {
    const replies = await t.tap({ type: "com.example.report.requested.processed" });
    const answers: { status: number; id?: string; retryAfter?: string | null }[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${t.ingressUrl}/events/com.example.report.requested`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportId: `r-${i}`, period: "daily" }),
      });
      const body = (await response.json()) as { id?: string };
      answers.push({
        status: response.status,
        ...(body.id ? { id: body.id } : {}),
        retryAfter: response.headers.get("retry-after"),
      });
    }
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.retryAfter).toBe("1");
    }
    // A bound of 5 ready messages plus the one in delivery.
    expect(accepted.length).toBeLessThanOrEqual(7);

    await replies.waitFor(accepted.length, 60_000);
    const got = new Set(
      replies.messages.map(
        (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId,
      ),
    );
    expect(accepted.every((a) => got.has(a.id!))).toBe(true);
    const status = await t.status();
    expect(status.events.byType["com.example.report.requested"]!.accepted).toBe(accepted.length);
  });
});
