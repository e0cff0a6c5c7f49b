/**
 * Scale from zero and back, against the real broker and real processes, with short windows set
 * through the AUTOSCALER_* overrides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlatformStatus } from "../platform/status/status-document.js";
import { post, startTestPlatform, type TestPlatform } from "./harness.js";

const STABLE_WINDOW_MS = 6_000;
const GRACE_MS = 1_000;

type Fn = PlatformStatus["functions"][number];

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sum of a Prometheus counter over all its label sets (0 when it was never incremented). */
function counter(metrics: string, name: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm")))
    sum += Number(m[1]);
  return sum;
}

describe("scaling (real RabbitMQ, real processes)", () => {
  let t: TestPlatform;
  const fn = async (name: string): Promise<Fn> =>
    (await t.status()).functions.find((f) => f.name === name)!;

  beforeAll(async () => {
    t = await startTestPlatform({
      env: {
        AUTOSCALER_STABLE_WINDOW: "6s",
        AUTOSCALER_SCALE_TO_ZERO_GRACE_PERIOD: "1s",
        AUTOSCALER_TICK_MS: "250",
        // The payment consumer is slow, so a burst piles up concurrency.
        LEVELER_PAYMENT_WORK_MS: "300",
        LEVELER_ORDER_WORK_SHAPE: "io",
        LEVELER_ORDER_WORK_MS: "400",
      },
      edit: (doc) => {
        if (doc.kind === "Service" && doc.metadata.name === "payment") {
          const template = doc.spec.template as {
            metadata: { annotations: Record<string, string> };
          };
          Object.assign(template.metadata.annotations, {
            "autoscaling.knative.dev/target": "2",
            "autoscaling.knative.dev/max-scale": "3",
          });
        }
        if (doc.kind === "Broker")
          doc.spec.delivery = {
            retry: 20,
            backoffPolicy: "linear",
            backoffDelay: "PT0.1S",
            timeout: "PT10S",
          };
      },
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("scales a consumer to zero after a stable window, then wakes it for one event", async () => {
    await until(
      "report at zero",
      async () => ((await fn("report")).replicas === 0 ? true : undefined),
      STABLE_WINDOW_MS + GRACE_MS + 15_000,
    );
    const events = t.platform.recentScaleEvents().filter((e) => e.function === "report");
    const up = events.find((e) => e.to === 1)!;
    const toZero = events.find((e) => e.to === 0)!;
    expect(toZero.reason).toMatch(/to zero/);
    // Not before a whole stable window active without traffic. The grace period adds nothing:
    // the activator was in the path all along (Knative's scaler.go, handleScaleToZero).
    expect(Date.parse(toZero.time) - Date.parse(up.time)).toBeGreaterThanOrEqual(STABLE_WINDOW_MS);

    const replies = await t.tap({ type: "com.example.report.requested.processed" });
    const r = await post(`${t.ingressUrl}/events/com.example.report.requested`, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "cold", period: "daily" }),
    });
    expect(r.status).toBe(202);
    await replies.waitFor(1, 30_000);
    expect(
      (JSON.parse(replies.messages[0]!.content.toString()) as { eventId: string }).eventId,
    ).toBe(r.body.id);
    const status = await t.status();
    // No 5xx reached the dispatcher: the activator held the request while the replica started.
    expect(status.triggers.find((tr) => tr.name === "report")!.dispatcher.retries).toBe(0);
    const wake = t.platform
      .recentScaleEvents()
      .find((e) => e.function === "report" && e.from === 0 && e.to >= 1 && e.time >= toZero.time);
    expect(wake?.reason).toMatch(/activation/);
  });

  it("a burst drives a consumer above one replica, never above max-scale, and back to zero after", async () => {
    // From zero, so the burst meets the cold start too.
    await until(
      "payment at zero",
      async () => ((await fn("payment")).replicas === 0 ? true : undefined),
      STABLE_WINDOW_MS + GRACE_MS + 15_000,
    );
    const replies = await t.tap({ type: "com.example.payment.requested.processed" });
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const r = await post(`${t.ingressUrl}/events/com.example.payment.requested`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            paymentId: `p-${i}`,
            orderId: `o-${i}`,
            amount: 1 + i,
            currency: "EUR",
          }),
        });
        expect(r.status).toBe(202);
        ids.push(r.body.id);
      }),
    );
    const peak = await until(
      "payment above one replica",
      async () => {
        const f = await fn("payment");
        return f.replicas > 1 ? f.replicas : undefined;
      },
      30_000,
    );
    expect(peak).toBeGreaterThan(1);
    await replies.waitFor(200, 90_000);
    const got = new Set(
      replies.messages.map(
        (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId,
      ),
    );
    expect(ids.every((id) => got.has(id))).toBe(true);
    const events = t.platform.recentScaleEvents().filter((e) => e.function === "payment");
    expect(Math.max(...events.map((e) => e.to))).toBeLessThanOrEqual(3);
    await until(
      "payment back at zero",
      async () => ((await fn("payment")).replicas === 0 ? true : undefined),
      STABLE_WINDOW_MS * 2 + GRACE_MS + 15_000,
    );

    // From zero to three replicas and back, no delivery was refused: the Broker's 20 retries
    // would hide 503s from a replica not ready yet or one going away. Read from the dispatcher's
    // own counters (not the platform's periodic copy), which count a retry before it is sent.
    const status = await t.status();
    const trigger = status.triggers.find((tr) => tr.name === "payment")!;
    expect(trigger.dispatcher.restarts).toBe(0);
    const metrics = await (await fetch(trigger.dispatcher.metricsUrl as string)).text();
    const byStatus = Object.fromEntries(
      [
        ...metrics.matchAll(
          // The process serves every Trigger's dispatcher (dispatcher-group.ts): payment's only.
          /^leveler_dispatcher_deliveries_total\{(?=[^}]*leveler_trigger="payment")[^}]*http_response_status_code="(\d+)"[^}]*\} (\S+)$/gm,
        ),
      ].map((m) => [m[1]!, Number(m[2])]),
    );
    expect(byStatus, "deliveries by HTTP status (0: no answer in time)").toEqual({ "200": 200 });
    expect(counter(metrics, "leveler_dispatcher_retries_total")).toBe(0);
    expect(counter(metrics, "leveler_dispatcher_dead_letters_total")).toBe(0);
    for (const dlq of status.deadLetterQueues) expect(dlq.depth, dlq.queue).toBe(0);
  });

  it("kill -9 of a replica holding events: they are redelivered and every one is processed", async () => {
    const replies = await t.tap({ type: "com.example.order.created.processed" });
    const ids = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const r = await post(`${t.ingressUrl}/events/com.example.order.created`, {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            orderId: `o-${i}`,
            currency: "EUR",
            items: [{ sku: "A", quantity: 1, unitPrice: 1 }],
          }),
        });
        expect(r.status).toBe(202);
        return r.body.id;
      }),
    );
    // Wait until a replica is working on events, then kill it without warning.
    const victim = await until(
      "order replica with events in flight",
      async () => {
        const f = await fn("order");
        const ready = f.processes.find((p) => p.state === "ready");
        return f.inFlight > 0 && ready?.pid ? ready.pid : undefined;
      },
      30_000,
    );
    process.kill(victim, "SIGKILL");
    await replies.waitFor(30, 90_000);
    const got = new Set(
      replies.messages.map(
        (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId,
      ),
    );
    expect(ids.filter((id) => !got.has(id))).toEqual([]);
    // The dispatcher's counters reach the platform a moment after the replies do.
    const status = await until(
      "order counters",
      async () => {
        const s = await t.status();
        return s.events.byType["com.example.order.created"]!.processed >= 30 ? s : undefined;
      },
      10_000,
    );
    expect(status.triggers.find((tr) => tr.name === "order")!.dispatcher.retries).toBeGreaterThan(
      0,
    );
  });
});
