/**
 * A consumer function's HTTP adapter. The core is a plain `(event) => Promise<Outcome>`; this file
 * turns a delivered CloudEvent (binary or structured mode) into a call and the outcome into the
 * answer Knative's dispatcher understands: 200 with the `<type>.processed` reply event in binary
 * mode, 503 for a transient failure (retried), 400 for an event that will never succeed
 * (dead-lettered without retries).
 */
import { randomUUID } from "node:crypto";
import { CloudEvent, HTTP } from "cloudevents";
import { Hono } from "hono";

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
}

export function createConsumerApp(options: ConsumerOptions): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => (headers[key] = value));
    let event: CloudEvent<unknown>;
    try {
      const parsed = HTTP.toEvent({ headers, body: await c.req.text() }) as CloudEvent<unknown> | CloudEvent<unknown>[];
      if (Array.isArray(parsed)) return c.json({ error: "batches are not delivered to consumers" }, 400);
      event = parsed;
    } catch (err) {
      return c.json({ error: `not a CloudEvent: ${(err as Error).message}` }, 400);
    }
    if (event.type !== options.type) return c.json({ error: `this consumer takes ${options.type}, not ${event.type}` }, 400);

    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await options.handle(event);
    } catch (err) {
      outcome = { kind: "retry", reason: (err as Error).message };
    }
    options.onOutcome?.(outcome.kind, (performance.now() - started) / 1000);
    if (outcome.kind === "retry") return c.json({ error: outcome.reason }, 503);
    if (outcome.kind === "reject") return c.json({ error: outcome.reason }, 400);

    const reply = new CloudEvent<Record<string, unknown>>({
      id: randomUUID(),
      type: `${event.type}.processed`,
      source: options.source,
      datacontenttype: "application/json",
      data: { eventId: event.id, ...outcome.result },
      ...options.replyExtensions?.(),
    });
    const message = HTTP.binary(reply);
    return new Response(message.body as string, { status: 200, headers: message.headers as Record<string, string> });
  });
  return app;
}
