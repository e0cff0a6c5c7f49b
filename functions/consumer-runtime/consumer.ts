/**
 * A consumer function's HTTP adapter. The core is a plain `(event) => Promise<Outcome>`; this file
 * turns a delivered CloudEvent (binary or structured mode) into a call and the outcome into the
 * answer Knative's dispatcher understands: 200 with the `<type>.processed` reply event in binary
 * mode, 503 for a transient failure (retried), 400 for an event that will never succeed
 * (dead-lettered without retries). A redelivered event (same source and id) gets the answer the
 * first delivery got, without running the work again (see processed-record.ts).
 */
import { randomUUID } from "node:crypto";
import { CloudEvent, HTTP } from "cloudevents";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { FieldError } from "../events/registry.js";
import { ProcessedRecord } from "./processed-record.js";

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
   * Largest request body taken (default 256 KiB + 16 KiB of structured-mode envelope); a larger
   * one gets 413 before it is buffered, which Knative does not retry. On a cluster any pod of the
   * namespace's data plane may call a consumer; this bounds what one call costs.
   */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 + 16 * 1024;

interface Answer {
  status: 200 | 400 | 503;
  body: string;
  headers: Record<string, string>;
}

export function createConsumerApp(options: ConsumerOptions): Hono {
  const app = new Hono();
  const record = new ProcessedRecord<Answer>(
    options.idempotency ?? { maxEntries: 100_000, ttlMs: 3_600_000 },
  );
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.post(
    "/",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        c.json({ error: `the request body exceeds ${maxBodyBytes} bytes (MAX_EVENT_BYTES)` }, 413),
    }),
    async (c) => {
      const headers: Record<string, string> = {};
      c.req.raw.headers.forEach((value, key) => (headers[key] = value));
      let event: CloudEvent<unknown>;
      try {
        const parsed = HTTP.toEvent({ headers, body: await c.req.text() }) as
          CloudEvent<unknown> | CloudEvent<unknown>[];
        if (Array.isArray(parsed))
          return c.json({ error: "batches are not delivered to consumers" }, 400);
        event = parsed;
      } catch (err) {
        return c.json({ error: `not a CloudEvent: ${(err as Error).message}` }, 400);
      }
      if (event.type !== options.type)
        return c.json({ error: `this consumer takes ${options.type}, not ${event.type}` }, 400);

      const { value, duplicate } = record.run(
        `${event.source}\u0000${event.id}`,
        () => execute(event),
        (a) => a.status !== 503,
      );
      options.onDelivery?.(duplicate ? "duplicate" : "executed");
      const answer = await value;
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
  );

  async function execute(event: CloudEvent<unknown>): Promise<Answer> {
    const json = (status: 400 | 503, error: string): Answer => ({
      status,
      body: JSON.stringify({ error }),
      headers: { "content-type": "application/json" },
    });
    const problems = options.validate?.(event.data) ?? [];
    if (problems.length) {
      options.onOutcome?.("reject", 0);
      return json(400, `poison: ${problems.map((p) => `${p.field} ${p.message}`).join("; ")}`);
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
    if (outcome.kind === "reject") return json(400, outcome.reason);

    const reply = new CloudEvent<Record<string, unknown>>({
      id: randomUUID(),
      type: `${event.type}.processed`,
      source: options.source,
      datacontenttype: "application/json",
      data: { eventId: event.id, ...outcome.result },
      ...options.replyExtensions?.(),
    });
    const message = HTTP.binary(reply);
    return {
      status: 200,
      body: message.body as string,
      headers: message.headers as Record<string, string>,
    };
  }
  return app;
}
