/**
 * A consumer function's core: a delivered CloudEvent (binary or structured mode, as HTTP gives
 * it) in, the answer Knative's dispatcher understands out: 200 with the `<type>.processed` reply
 * event in binary mode, 503 for a transient failure (retried), 400 for an event that will never
 * succeed. Before a 400 the event goes to the dead-letter sink (refusal.ts says why); if the sink
 * does not take it, the answer is 503 instead, so the dispatcher keeps it and retries. A
 * redelivered event (same source and id) gets the answer the first delivery got, without running
 * the work again (see processed-record.ts). The event's own work is a plain
 * `(event) => Promise<Outcome>`; consumer-http.ts serves all this over node:http.
 */
import { randomUUID } from "node:crypto";
import { HTTP, type CloudEvent } from "cloudevents";
import { fromBinaryHttp, toBinaryHttp } from "../../lib/cloudevent-http.js";
import type { FieldError } from "../events/registry.js";
import { ProcessedRecord } from "./processed-record.js";
import { withRefusal } from "./refusal.js";

export type Outcome =
  | { kind: "processed"; result: Record<string, unknown> }
  | { kind: "retry"; reason: string }
  | { kind: "reject"; reason: string };

export type EventHandler = (event: CloudEvent<unknown>) => Promise<Outcome>;

export interface ConsumerOptions {
  /** The event type this consumer takes; others are refused with 400. */
  type: string;
  /** `source` of the reply events. */
  source: string;
  handle: EventHandler;
  onOutcome?: (outcome: Outcome["kind"], seconds: number) => void;
  /** Extensions for the reply, read after handling (tracing: the current `traceparent`). */
  replyExtensions?: () => Record<string, string>;
  /**
   * Checks the data before any work: events can reach the broker without the ingress (another
   * producer, a replay), and an event that can never be processed is a poison to dead-letter.
   */
  validate?: (data: unknown) => FieldError[];
  /** How many processed events to remember for deduplication, and for how long. */
  idempotency?: { maxEntries: number; ttlMs: number };
  /** Each delivery: executed for the first time, or a duplicate answered from the record. */
  onDelivery?: (kind: "executed" | "duplicate") => void;
  /**
   * Keeps a refused event (with its knativeerror* extensions) before the 400: the dead-letter
   * sink (`K_DEAD_LETTER_SINK`). Resolves once the sink holds it; a rejection turns the 400 into
   * a 503. Without it, a refusal is a plain 400.
   */
  deadLetter?: (event: CloudEvent<unknown>) => Promise<void>;
}

/** One delivery as HTTP brought it. */
export interface Delivery {
  /** The address the dispatcher called: what Knative records as a dead letter's destination. */
  url: string;
  /** Lower-case names, as fetch's `Headers` would hold them (lib/http-request-headers.ts). */
  headers: Record<string, string>;
  body: string;
}

export interface Answer {
  status: 200 | 400 | 503;
  body: string;
  headers: Record<string, string>;
}

export type Consumer = (delivery: Delivery) => Promise<Answer>;

export function createConsumer(options: ConsumerOptions): Consumer {
  const record = new ProcessedRecord<Answer>(
    options.idempotency ?? { maxEntries: 100_000, ttlMs: 3_600_000 },
  );
  const consume: Consumer = async ({ url: destination, headers, body }) => {
    let event: CloudEvent<unknown>;
    try {
      // Binary mode, what the dispatcher sends, is read without the SDK's per-call cost
      // (lib/cloudevent-http.ts); other modes by the SDK.
      const parsed =
        fromBinaryHttp(headers, body) ??
        (HTTP.toEvent({ headers, body }) as CloudEvent<unknown> | CloudEvent<unknown>[]);
      if (Array.isArray(parsed)) return json(400, "batches are not delivered to consumers");
      event = parsed;
    } catch (err) {
      return json(400, `not a CloudEvent: ${(err as Error).message}`);
    }
    if (event.type !== options.type)
      return refuse(event, destination, `this consumer takes ${options.type}, not ${event.type}`);

    const { value, duplicate } = record.run(
      `${event.source}\u0000${event.id}`,
      () => execute(event, destination),
      (a) => a.status !== 503,
    );
    options.onDelivery?.(duplicate ? "duplicate" : "executed");
    return value;
  };

  const json = (status: 400 | 503, error: string): Answer => ({
    status,
    body: JSON.stringify({ error }),
    headers: { "content-type": "application/json" },
  });

  /** A 400 once the dead-letter sink holds the event; a 503 (retried) if it did not take it. */
  async function refuse(
    event: CloudEvent<unknown>,
    destination: string,
    reason: string,
  ): Promise<Answer> {
    const answer = json(400, reason);
    if (!options.deadLetter) return answer;
    try {
      await options.deadLetter(withRefusal(event, { destination, code: 400, body: answer.body }));
    } catch (err) {
      return json(
        503,
        `${reason}; the dead-letter sink did not take the refused event (${(err as Error).message}), so it is not refused yet`,
      );
    }
    return answer;
  }

  async function execute(event: CloudEvent<unknown>, destination: string): Promise<Answer> {
    const problems = options.validate?.(event.data) ?? [];
    if (problems.length) {
      options.onOutcome?.("reject", 0);
      return refuse(
        event,
        destination,
        `poison: ${problems.map((p) => `${p.field} ${p.message}`).join("; ")}`,
      );
    }
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await options.handle(event);
    } catch (err) {
      outcome = { kind: "retry", reason: (err as Error).message };
    }
    options.onOutcome?.(outcome.kind, (performance.now() - started) / 1000);
    if (outcome.kind === "retry") return json(503, outcome.reason);
    if (outcome.kind === "reject") return refuse(event, destination, outcome.reason);

    // Every attribute is ours (the type is the one this consumer takes), valid by construction:
    // the SDK's schema check on each reply is skipped, as the ingress skips it for its own events.
    const message = toBinaryHttp({
      id: randomUUID(),
      type: `${event.type}.processed`,
      source: options.source,
      datacontenttype: "application/json",
      data: { eventId: event.id, ...outcome.result },
      extensions: options.replyExtensions?.(),
    });
    return { status: 200, body: message.body!, headers: message.headers };
  }
  return consume;
}
