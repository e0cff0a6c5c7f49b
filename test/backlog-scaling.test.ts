/**
 * Backlog-driven delivery against the real broker and real processes: a burst against a slow,
 * I/O-shaped consumer grows its dispatcher (the ScaledObject in knative/triggers/order.yaml) to
 * maxReplicaCount, the consumer's KPA follows to max-scale, and both come back down once the
 * queue is empty, the consumer to zero. Every accepted event is processed exactly once by id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlatformStatus } from "../platform/status/status-document.js";
import { startTestPlatform, type TestPlatform } from "./harness.js";

const EVENTS = 1000;
const ORDER = "com.example.order.created";

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

describe("backlog-driven delivery (real RabbitMQ, real processes)", () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform({
      env: {
        AUTOSCALER_STABLE_WINDOW: "6s",
        AUTOSCALER_SCALE_TO_ZERO_GRACE_PERIOD: "1s",
        AUTOSCALER_TICK_MS: "250",
        // 8 deliveries of 200 ms waiting each: 40 events/s at the fixed pace.
        LEVELER_ORDER_WORK_MS: "200",
        LEVELER_ORDER_WORK_SHAPE: "io",
        // The HPA behind the ScaledObject decides every second, not every 15 s.
        HPA_SYNC_PERIOD: "1s",
      },
      edit: (doc) => {
        if (doc.kind === "ScaledObject" && doc.metadata.name === "order-dispatcher") {
          const behavior = (doc.spec as { advanced: Record<string, unknown> }).advanced;
          behavior.horizontalPodAutoscalerConfig = {
            behavior: {
              // Up by at most 4 replicas a second: 1 → 5 → 9 → 10.
              scaleUp: { policies: [{ type: "Pods", value: 4, periodSeconds: 1 }] },
              // Back to the base pace soon after the queue is empty.
              scaleDown: { stabilizationWindowSeconds: 2 },
            },
          };
        }
      },
    });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  it("scales the dispatcher and the consumer to their maximum on a burst, back after it, each event once", async () => {
    const order = async () => (await t.status()).functions.find((f) => f.name === "order")!;
    const trigger = async (): Promise<PlatformStatus["triggers"][number]> =>
      (await t.status()).triggers.find((x) => x.name === "order")!;
    await until(
      "order at zero",
      async () => ((await order()).replicas === 0 ? true : undefined),
      60_000,
    );
    const ready = await until(
      "the order dispatcher consuming",
      async () => {
        const d = (await trigger()).dispatcher;
        return d.connected === true && d.inFlightBound !== 0 ? d : undefined;
      },
      60_000,
    );
    expect(ready).toMatchObject({ backlogDriven: true, replicas: 1, inFlightBound: 8 });
    const replies = await t.tap({ type: `${ORDER}.processed` });

    // Watch the most replicas and deliveries in flight while the burst is sent and drained.
    let most = { consumer: 0, dispatcher: 0, bound: 0 };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [fn, tr] = [await order(), await trigger()];
        most = {
          consumer: Math.max(most.consumer, fn.replicas),
          dispatcher: Math.max(most.dispatcher, tr.dispatcher.replicas as number),
          bound: Math.max(most.bound, tr.dispatcher.inFlightBound as number),
        };
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < EVENTS) {
          const n = next++;
          const response = await fetch(`${t.ingressUrl}/events/${ORDER}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              orderId: `o-${n}`,
              currency: "EUR",
              items: [{ sku: "A", quantity: 1, unitPrice: 1 }],
            }),
          });
          const body = (await response.json()) as { id?: string };
          expect(response.status).toBe(202);
          ids.push(body.id!);
        }
      }),
    );

    await replies.waitFor(EVENTS, 180_000);
    // Both back down: the dispatcher to its minReplicaCount, the consumer to zero.
    await until(
      "dispatcher back at 1 and order at zero",
      async () =>
        (await trigger()).dispatcher.replicas === 1 && (await order()).replicas === 0
          ? true
          : undefined,
      120_000,
    );
    watching = false;
    await watcher;

    // order.yaml: maxReplicaCount 10 × parallelism 8; services/order.yaml: max-scale 4.
    expect(most).toEqual({ consumer: 4, dispatcher: 10, bound: 80 });
    const events = (
      (await (await fetch(t.statusUrl.replace("/status", "/scale-events"))).json()) as {
        events: { function: string; from: number; to: number; reason: string }[];
      }
    ).events.filter((e) => e.function === "order-dispatcher");
    // At the HPA's pace: never more than 4 up at a time, and the step to 10 at most from 9.
    const ups = events.filter((e) => e.to > e.from);
    expect(
      ups.every((e) => e.to - e.from <= 4),
      JSON.stringify(ups),
    ).toBe(true);
    expect(
      ups.some((e) => /limited to \d+ by the scale-up policies \(4 pods per 1s\)/.test(e.reason)),
    ).toBe(true);
    expect(events.some((e) => e.to === 10 && /queue \d+ \/ value 20/.test(e.reason))).toBe(true);
    expect(events.at(-1)).toMatchObject({ to: 1 });

    // Exactly once by id: one reply per accepted event, none twice, none missing.
    const replied = replies.messages.map(
      (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId,
    );
    expect(replied.length).toBe(EVENTS);
    expect(new Set(replied)).toEqual(new Set(ids));
    expect((await t.status()).events.byType[ORDER]?.deadLettered ?? 0).toBe(0);
  }, 400_000);
});
