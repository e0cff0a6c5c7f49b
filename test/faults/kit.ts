/**
 * What the fault scenarios share: the four event types and their loads, the reply watch that
 * fills a ledger, the wait for every accepted event to settle, the manifest edits (fast retries,
 * one replica per consumer) and the checks that nothing was lost or executed twice.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import type { DeadLetter } from "../../platform/dead-letters/dead-letter.js";
import type { TestPlatform } from "../harness.js";
import type { Ledger, LedgerRow } from "./ledger.js";

export const TYPES = {
  order: {
    type: "com.example.order.created",
    data: (i: number) => ({
      orderId: `o-${i}`,
      currency: "EUR",
      items: [{ sku: "A", quantity: 1, unitPrice: 2 }],
    }),
  },
  payment: {
    type: "com.example.payment.requested",
    data: (i: number) => ({
      paymentId: `p-${i}`,
      orderId: `o-${i}`,
      amount: 1 + i,
      currency: "EUR",
    }),
  },
  notification: {
    type: "com.example.notification.requested",
    data: (i: number) => ({ notificationId: `n-${i}`, channel: "sms", recipient: "+4912345" }),
  },
  report: {
    type: "com.example.report.requested",
    data: (i: number) => ({ reportId: `r-${i}`, period: "monthly" }),
  },
} as const;
export const mixed = (i: number) => {
  const t = Object.values(TYPES)[i % 4]!;
  return { path: `/events/${t.type}`, body: t.data(i) };
};
export const only = (name: keyof typeof TYPES) => (i: number) => ({
  path: `/events/${TYPES[name].type}`,
  body: TYPES[name].data(i),
});

/** Watches every reply on the Broker's exchange and records it in the ledger. */
export async function watchReplies(t: TestPlatform, ledger: Ledger): Promise<void> {
  for (const { type } of Object.values(TYPES)) {
    const tap = await t.tap({ type: `${type}.processed` });
    const seen = { n: 0 };
    const pump = () => {
      while (seen.n < tap.messages.length) {
        const m = tap.messages[seen.n++]!;
        ledger.reply(
          (JSON.parse(m.content.toString()) as { eventId: string }).eventId,
          String(m.properties.headers?.id),
        );
      }
      if (!stopped.has(ledger)) setTimeout(pump, 50);
    };
    pump();
  }
}
const stopped = new Set<Ledger>();

/** Waits until every accepted event is processed or dead-lettered (or the time is up), then a little more for late duplicates. */
export async function settle(t: TestPlatform, ledger: Ledger, timeoutMs: number): Promise<void> {
  const base = t.statusUrl.replace("/api/status", "");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ledger.settled === ledger.accepted.size) break;
    const { deadLetters } = (await (await fetch(`${base}/api/dlq`)).json()) as {
      deadLetters: DeadLetter[];
    };
    for (const d of deadLetters) ledger.deadLettered.add(d.id);
    await sleep(250);
  }
  await sleep(1000);
  stopped.add(ledger);
}

export async function fn(t: TestPlatform, name: string) {
  return (await t.status()).functions.find((f) => f.name === name)!;
}

export const fastRetries = (doc: { kind?: string; spec: Record<string, unknown> }) => {
  if (doc.kind === "Broker")
    doc.spec.delivery = {
      // Keep the Broker's deadLetterSink: without it there is no dead-letter exchange.
      ...(doc.spec.delivery as object),
      retry: 30,
      backoffPolicy: "exponential",
      backoffDelay: "PT0.05S",
      timeout: "PT10S",
    };
};

/**
 * Pins Services to exactly one replica: a consumer's record of processed events is per process,
 * so a redelivery reaches the replica that has the record, and answering from it (not running the
 * work again) is what the scenario exercises.
 */
export const oneReplica =
  (...names: string[]) =>
  (doc: { kind?: string; metadata: { name?: string }; spec: Record<string, unknown> }) => {
    if (doc.kind !== "Service" || !names.includes(doc.metadata.name ?? "")) return;
    const template = doc.spec.template as { metadata: { annotations: Record<string, string> } };
    template.metadata.annotations["autoscaling.knative.dev/min-scale"] = "1";
    template.metadata.annotations["autoscaling.knative.dev/max-scale"] = "1";
  };

/**
 * What the pinned consumers counted themselves over the whole run (their one replica each lived
 * through it): deliveries that ran the work, and deliveries answered from the record.
 */
export async function consumerDeliveries(
  t: TestPlatform,
  names: string[],
): Promise<{ executed: number; duplicate: number }> {
  const total = { executed: 0, duplicate: 0 };
  const status = await t.status();
  for (const name of names) {
    const f = status.functions.find((fn) => fn.name === name)!;
    // A replica that exited unasked says why: the platform logs its exit code, the replica's own
    // log its last words (a stack trace, a port in use).
    if (f.restarts !== 0) {
      const why = [
        `${name} restarted`,
        ...t.log.filter((line) => line.includes(name)),
        ...logTails(t, `${name}-`),
      ];
      expect(f.restarts, why.join("\n")).toBe(0);
    }
    expect(f.processes, name).toHaveLength(1);
    const text = await (await fetch(f.processes[0]!.metricsUrl)).text();
    for (const m of text.matchAll(
      /^leveler_consumer_deliveries_total\{[^}]*delivery="(executed|duplicate)"[^}]*\} (\d+)$/gm,
    ))
      total[m[1] as "executed" | "duplicate"] += Number(m[2]);
  }
  return total;
}

/**
 * An infrastructure fault must cost nothing: every accepted event processed, once, none lost,
 * none dead-lettered (these events are all valid).
 */
export function expectNothingLost(ledger: Ledger): LedgerRow {
  const row = ledger.row();
  expect(ledger.lost).toEqual([]);
  expect([...ledger.deadLettered]).toEqual([]);
  expect(row.processed).toBe(row.accepted);
  expect(row.duplicates).toBe(0);
  return row;
}

/** The last lines of each of the platform's logs whose file name starts with `prefix`. */
export function logTails(t: TestPlatform, prefix: string, lines = 12): string[] {
  const dir = join(t.platform.config.stateDir, "logs");
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .map(
      (f) =>
        `${f}:\n  ${readFileSync(join(dir, f), "utf8").trimEnd().split("\n").slice(-lines).join("\n  ")}`,
    );
}
