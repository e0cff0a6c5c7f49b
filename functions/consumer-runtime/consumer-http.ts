/**
 * A consumer over node:http: deliveries are POSTed to `/`, read (up to a limit) and answered as
 * the core (consumer.ts) decides.
 *
 * No web framework, on purpose. A consumer takes one kind of request, and it is what scales from
 * zero, so its start is a cold start: Hono answers through fetch's `Request` and `Response`, and
 * loading Node's fetch implementation (undici) for them cost ~20 ms of every consumer start
 * (bench:coldstart). The ingress, which stays up (min-scale 1), keeps Hono.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fromRawHeaders } from "../../lib/http-request-headers.js";
import type { RequestListener } from "../../lib/runtime/serve.js";
import type { Telemetry } from "../../lib/runtime/telemetry.js";
import { nodeServerSpans } from "../../lib/runtime/tracing.js";
import type { Consumer } from "./consumer.js";

/** The ingress's limit on one event's data (256 KiB), plus the envelope a structured delivery adds. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 + 16 * 1024;

export interface ConsumerHttpOptions {
  /**
   * Largest request body taken (default DEFAULT_MAX_BODY_BYTES); a larger one gets 413 before it
   * is buffered, which Knative does not retry. On a cluster any pod of the namespace's data plane
   * may call a consumer; this bounds what one call costs.
   */
  maxBodyBytes?: number;
  /** With it, each delivery gets its SERVER span, continuing the dispatcher's trace (tracing.ts). */
  telemetry?: Telemetry;
}

export function consumerListener(
  consume: Consumer,
  options: ConsumerHttpOptions = {},
): RequestListener {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tooLarge = `the request body exceeds ${maxBodyBytes} bytes (MAX_EVENT_BYTES)`;
  const listener: RequestListener = (req, res) => {
    const path = req.url?.split("?", 1)[0];
    if (path !== "/") return answerError(res, 404, `nothing at ${path}: deliveries go to /`);
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return answerError(res, 405, `${req.method} is not a delivery: deliveries are POSTed`);
    }
    // A declared length is decided before reading; Node's parser reads exactly that many bytes.
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBodyBytes) return refuseBody(res, tooLarge);
    readBody(req, maxBodyBytes)
      .then(
        (body) => {
          if (body === undefined) return refuseBody(res, tooLarge);
          return consume({
            url: requestUrl(req),
            headers: fromRawHeaders(req.rawHeaders),
            body,
          }).then((answer) => {
            res.writeHead(answer.status, {
              ...answer.headers,
              "content-length": Buffer.byteLength(answer.body),
            });
            res.end(answer.body);
          });
        },
        // The client went away mid-body: nobody to answer.
        () => res.destroy(),
      )
      .catch((err: unknown) => {
        // The core answers every outcome itself; this is a bug, not a delivery's fate (retried).
        if (res.headersSent) return res.destroy();
        answerError(res, 500, `the consumer failed: ${(err as Error).message}`);
      });
  };
  if (!options.telemetry) return listener;
  // A consumer never starts a trace: deliveries continue the dispatcher's.
  return nodeServerSpans(
    options.telemetry,
    { startsTraces: false, route: (path) => (path === "/" ? "/" : undefined) },
    listener,
  );
}

/**
 * The body as text (UTF-8, a leading BOM dropped, as fetch's `text()`), or undefined past `max`.
 * A client that goes away mid-body makes Node destroy the request with an error ("aborted",
 * ECONNRESET; seen on Node 24), which rejects it: the promise always settles.
 */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => {
      if (size <= max) resolve(decoder.decode(Buffer.concat(chunks, size)));
    });
    req.once("error", reject);
  });
}

const decoder = new TextDecoder();

/** What @hono/node-server gives as `c.req.url`: the scheme, the Host header and the target. */
function requestUrl(req: IncomingMessage): string {
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  return `http://${host}${req.url ?? "/"}`;
}

/** 413, and the connection closed after it: the rest of the body is not read. */
function refuseBody(res: ServerResponse, error: string): void {
  res.setHeader("connection", "close");
  answerError(res, 413, error);
}

function answerError(res: ServerResponse, status: number, error: string): void {
  const body = JSON.stringify({ error });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
