/**
 * The ingress: HTTP POSTs in, CloudEvents out to the sink. It answers 202 only once the sink
 * holds every event of the request durably; anything it rejects publishes nothing.
 */
import type { CloudEvent } from "cloudevents";
import { Hono } from "hono";
import { bodyLimit } from "../../lib/body-limit.js";
import { BrokerUnavailableError, PublishRejectedError } from "../../lib/errors.js";
import { HttpError, problemResponse } from "../../lib/http-problem.js";
import { printable } from "../../lib/printable.js";
import type { Sink } from "../../lib/sink.js";
import type { EventRegistry } from "../events/registry.js";
import { MAX_ATTRIBUTE_BYTES } from "./attributes.js";
import { contentModeOf, eventFromData, parseEvents, type ContentMode } from "./parse.js";

export interface IngressCounters {
  accepted(type: string, count: number): void;
  rejected(reason: string, status: number): void;
}

export interface IngressOptions {
  sink: Sink;
  registry: EventRegistry;
  /** Largest `data` of one event, in bytes (default 256 KiB). */
  maxEventBytes?: number;
  /** Largest size of one event's attributes as HTTP headers, in bytes (default 8 KiB). */
  maxAttributeBytes?: number;
  /** Largest request body of a batch, in bytes (default 4 MiB). */
  maxBatchBytes?: number;
  /** `source` given to events posted to `/events/<type>`. */
  source?: string;
  counters?: IngressCounters;
  /**
   * Wraps each send to the sink (tracing: a publish span, and the events stamped with its
   * context). Given the events, hands the ones to send on to `send`.
   */
  aroundSend?: (
    events: CloudEvent<unknown>[],
    send: (events: CloudEvent<unknown>[]) => Promise<void>,
  ) => Promise<void>;
}

const noCounters: IngressCounters = { accepted: () => undefined, rejected: () => undefined };

export function createIngressApp(options: IngressOptions): Hono {
  const maxEventBytes = options.maxEventBytes ?? 256 * 1024;
  const maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
  const maxAttributeBytes = options.maxAttributeBytes ?? MAX_ATTRIBUTE_BYTES;
  const source = options.source ?? "/leveler/ingress";
  const counters = options.counters ?? noCounters;
  // The envelope of a structured event or binary headers add a little to the data itself.
  const maxSingleBody = maxEventBytes + 16 * 1024;

  const app = new Hono<{ Variables: { mode: ContentMode } }>();

  const limit = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: () => {
        throw new HttpError(413, "Payload Too Large", `the request body exceeds ${max} bytes`, [
          { field: "body", message: `must be at most ${max} bytes` },
        ]);
      },
    });

  app.post(
    "/events",
    async (c, next) => {
      const mode = contentModeOf(c.req.raw.headers);
      c.set("mode", mode);
      return limit(mode === "batch" ? maxBatchBytes : maxSingleBody)(c, next);
    },
    async (c) => {
      const mode = c.get("mode");
      const events = parseEvents(
        mode,
        c.req.raw.headers,
        await c.req.text(),
        options.registry,
        maxEventBytes,
        maxAttributeBytes,
      );
      await publish(events, mode === "batch");
      return mode === "batch"
        ? c.json({ ids: events.map((e) => e.id) }, 202)
        : c.json({ id: events[0]!.id }, 202);
    },
  );

  app.post("/events/:type", limit(maxSingleBody), async (c) => {
    const contentType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (contentType !== "application/json" && !contentType.endsWith("+json")) {
      throw new HttpError(
        415,
        "Unsupported Media Type",
        `the body must be application/json, not "${contentType || "(none)"}"`,
      );
    }
    const event = eventFromData(
      c.req.param("type"),
      await c.req.text(),
      options.registry,
      source,
      maxEventBytes,
    );
    await publish([event]);
    return c.json({ id: event.id }, 202);
  });

  app.get("/events/types", (c) => c.json({ types: options.registry.types }));

  /**
   * Sends the events, all validated already. The broker takes a batch event by event, so a
   * failure midway may leave some taken: a batch's error answer lists exactly those
   * (`accepted`), so a client resends only the others and duplicates nothing.
   */
  async function publish(events: CloudEvent<unknown>[], batch = false): Promise<void> {
    try {
      await (options.aroundSend
        ? options.aroundSend(events, (stamped) => options.sink.send(stamped))
        : options.sink.send(events));
    } catch (err) {
      if (!(err instanceof PublishRejectedError || err instanceof BrokerUnavailableError))
        throw err;
      const taken = new Set(err.accepted);
      count(events.filter((e) => taken.has(e.id)));
      const [status, title, what] =
        err instanceof PublishRejectedError
          ? ([429, "Too Many Requests", "refused"] as const)
          : ([503, "Broker Unavailable", "did not take"] as const);
      const detail = batch
        ? `the broker took ${taken.size} of ${events.length} events and ${what} the others: ${err.message}; resend only the events whose ids are not in "accepted", later`
        : `the broker ${what} the event: ${err.message}; retry later`;
      throw new HttpError(
        status,
        title,
        detail,
        [],
        { "Retry-After": "1" },
        batch ? { accepted: [...taken] } : {},
      );
    }
    count(events);
  }

  function count(events: CloudEvent<unknown>[]): void {
    const byType = new Map<string, number>();
    for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    for (const [type, n] of byType) counters.accepted(type, n);
  }

  const answer = (err: unknown, instance: string): Response => {
    const response = problemResponse(err, instance, {
      onUnexpected: (e) =>
        console.error(printable(e instanceof Error ? (e.stack ?? e.message) : String(e))),
    });
    counters.rejected(err instanceof HttpError ? err.title : "internal", response.status);
    return response;
  };
  app.onError((err, c) => answer(err, c.req.path));
  app.notFound((c) =>
    answer(
      new HttpError(
        404,
        "Not Found",
        `no route for ${c.req.method} ${c.req.path}; POST /events or /events/<type>`,
      ),
      c.req.path,
    ),
  );
  return app as unknown as Hono;
}
