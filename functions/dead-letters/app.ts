/**
 * The dead-letter sink's HTTP surface, over a DeadLetterStore (pure of RabbitMQ: tests give it an
 * in-memory store).
 *
 * `POST /`: the Broker's deadLetterSink delivery (and consumers' own refusals), a CloudEvent in
 * binary, structured or batch mode. 202 with no body once the store holds it durably; 503 with
 * Retry-After when it does not, so the sender keeps it and retries. Never a 2xx for something
 * not kept, and no reply event in the answer (Knative would post a reply on to the Broker).
 *
 * `GET /dead-letters?limit&type&id` and `POST /dead-letters/replay?limit&type&id` (or the same
 * as a JSON body): the operators' API, behind a bearer token; listing leaves the dead letters
 * parked, replay republishes the chosen ones to the Broker and unparks each after its confirm.
 */
import type { CloudEvent } from "cloudevents";
import { HTTP } from "cloudevents";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { BrokerUnavailableError, PublishRejectedError } from "../../lib/errors.js";
import { checkBearer } from "./auth.js";
import { describeDeadLetter, type DeadLetterFilter } from "./dead-letter.js";
import { ReplayError, type DeadLetterStore } from "./parked-queue.js";
import { HttpError, problemResponse } from "../../lib/http-problem.js";
import { unavailable } from "./problem.js";

export interface DeadLettersAppOptions {
  store: DeadLetterStore;
  /** The parked queue's name, shown with each dead letter. */
  queue: string;
  /** The expected bearer token, read at each API request; undefined closes the API. */
  token: () => string | undefined;
  /** Where replays go: the Broker (K_SINK over HTTP, or its exchange over AMQP). */
  replaySink?: { send(events: readonly CloudEvent<unknown>[]): Promise<void> } | undefined;
  maxEventBytes: number;
  /** Cap on `?limit`. */
  maxLimit: number;
  onParked?: (type: string) => void;
}

export function createDeadLettersApp(options: DeadLettersAppOptions): Hono {
  const app = new Hono();

  app.post(
    "/",
    bodyLimit({
      maxSize: options.maxEventBytes,
      onError: () => {
        throw new HttpError(
          413,
          "Payload Too Large",
          `the dead letter exceeds ${options.maxEventBytes} bytes (MAX_EVENT_BYTES)`,
        );
      },
    }),
    async (c) => {
      const events = parseDelivery(c.req.raw.headers, Buffer.from(await c.req.arrayBuffer()));
      try {
        await options.store.park(events);
      } catch (err) {
        throw storeFailure(err, "the dead letter was not parked");
      }
      for (const e of events) options.onParked?.(e.type);
      return c.body(null, 202);
    },
  );

  app.get("/dead-letters", async (c) => {
    authorize(c);
    const { filter, limit } = selection(c.req.query());
    const scan = await options.store
      .list(filter, limit)
      .catch((err: unknown) => Promise.reject(storeFailure(err, "cannot read the dead letters")));
    return c.json({
      deadLetters: scan.letters.map((e) => describeDeadLetter(options.queue, e)),
      scanned: scan.scanned,
      remaining: scan.remaining,
      undecodable: scan.undecodable,
    });
  });

  app.post("/dead-letters/replay", async (c) => {
    authorize(c);
    const sink = options.replaySink;
    if (!sink)
      throw unavailable(
        "replay has no Broker to send to: K_SINK (a SinkBinding) or BROKER_EXCHANGE is not set",
      );
    const body = (c.req.header("content-type") ?? "").includes("json")
      ? await c.req.json<unknown>().catch(() => {
          throw new HttpError(400, "Bad Request", "the body is not valid JSON");
        })
      : {};
    const { filter, limit } = selection({ ...c.req.query(), ...stringFields(body) });
    try {
      const replayed = await options.store.replay(filter, limit, (event) => sink.send([event]));
      return c.json({ replayed });
    } catch (err) {
      if (err instanceof ReplayError)
        throw unavailable(
          `the Broker did not take a replayed event: ${err.message}; ${err.replayed.length} replayed before that, the rest stay parked`,
          { replayed: err.replayed },
        );
      throw storeFailure(err, "cannot read the dead letters");
    }
  });

  // Whatever went wrong unexpectedly is a 503: the sender retries, and nothing is answered 2xx
  // that was not kept.
  app.onError((err, c) =>
    problemResponse(
      err instanceof HttpError ? err : unavailable(`unexpected: ${err.message}`),
      c.req.path,
    ),
  );
  app.notFound((c) =>
    problemResponse(
      new HttpError(404, "Not Found", `no ${c.req.method} ${c.req.path} here`),
      c.req.path,
    ),
  );

  function authorize(c: Context): void {
    const result = checkBearer(c.req.header("authorization"), options.token());
    if (result === "unconfigured")
      throw new HttpError(
        403,
        "Forbidden",
        "the dead-letter API has no token configured (Secret dead-letters-token, or DEAD_LETTERS_TOKEN), so it is closed",
      );
    if (result === "denied")
      throw new HttpError(
        401,
        "Unauthorized",
        "send Authorization: Bearer <token> (the dead-letters-token Secret)",
        [],
        { "WWW-Authenticate": 'Bearer realm="leveler dead letters"' },
      );
  }

  function selection(query: Record<string, string>): { filter: DeadLetterFilter; limit: number } {
    let limit = options.maxLimit;
    if (query.limit !== undefined) {
      const n = Number(query.limit);
      if (!Number.isInteger(n) || n < 1)
        throw new HttpError(
          400,
          "Bad Request",
          `limit=${JSON.stringify(query.limit)} must be a whole number of at least 1`,
        );
      limit = Math.min(n, options.maxLimit);
    }
    return { filter: { type: query.type || undefined, id: query.id || undefined }, limit };
  }

  return app;
}

/** A delivered request as CloudEvents; a request that is none is refused (nothing kept). */
export function parseDelivery(headers: Headers, body: Buffer): CloudEvent<unknown>[] {
  const plain: Record<string, string> = {};
  headers.forEach((value, key) => (plain[key] = value));
  const contentType = (plain["content-type"] ?? "").toLowerCase();
  // Structured and batch modes are JSON text; binary mode keeps the bytes as they came.
  const structured = contentType.startsWith("application/cloudevents");
  let parsed: CloudEvent<unknown> | CloudEvent<unknown>[];
  try {
    parsed = HTTP.toEvent({ headers: plain, body: structured ? body.toString("utf8") : body }) as
      CloudEvent<unknown> | CloudEvent<unknown>[];
  } catch (err) {
    throw new HttpError(400, "Bad Request", `not a CloudEvent: ${(err as Error).message}`);
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  if (events.length === 0) throw new HttpError(400, "Bad Request", "an empty batch");
  // The SDK decodes structured `data_base64` into a Uint32Array of byte values: make it bytes.
  return events.map((e) =>
    e.data instanceof Uint32Array
      ? e.cloneWith({ data: Buffer.from(Array.from(e.data)) }, false)
      : e,
  );
}

function storeFailure(err: unknown, what: string): Error {
  if (err instanceof BrokerUnavailableError || err instanceof PublishRejectedError)
    return unavailable(`${what}: ${err.message}; retry later`);
  return err as Error;
}

function stringFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === "object")
    for (const [k, v] of Object.entries(body))
      if (typeof v === "string" || typeof v === "number") out[k] = String(v);
  return out;
}
