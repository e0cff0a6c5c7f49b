/**
 * One HTTP delivery of an event to a subscriber, in binary content mode, with the CloudEvent in
 * the subscriber's answer (if any) read back as the reply.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type RequestOptions,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { urlToHttpOptions } from "node:url";
import { HTTP, type CloudEvent } from "cloudevents";
import { fromBinaryHttp } from "../../lib/cloudevent-http.js";
import type { DispatchRequest } from "./dispatch-request.js";
import { KNATIVE_ERROR_BODY_BYTES } from "./error-extensions.js";

export interface DeliveryResult {
  /** HTTP status, or undefined when no answer came (network error, timeout). */
  status: number | undefined;
  reply?: CloudEvent<unknown>;
  /** Why it failed, for logs and traces. */
  error?: string;
  /** The start of a failed answer's body, for the dead letter's `knativeerrordata`. */
  errorBody?: Buffer;
}

/**
 * `timeoutMs` bounds the whole exchange; undefined waits as long as the subscriber takes, as
 * eventing-rabbitmq's dispatcher does without a delivery timeout.
 * `traceHeaders` are the W3C `traceparent`/`tracestate` of the delivery's own span; they travel
 * beside the event's `ce-traceparent`, which keeps the context the event was published with.
 */
export async function deliver(
  url: string,
  request: DispatchRequest,
  timeoutMs: number | undefined,
  traceHeaders: Record<string, string> = {},
): Promise<DeliveryResult> {
  let response: { status: number; headers: Record<string, string>; body: Buffer };
  try {
    response = await post(url, traceHeaders, request, timeoutMs);
  } catch (err) {
    return { status: undefined, error: (err as Error).message };
  }
  if (response.status < 200 || response.status >= 300)
    return {
      status: response.status,
      error: response.body.subarray(0, 1024).toString("utf8"),
      errorBody: response.body.subarray(0, KNATIVE_ERROR_BODY_BYTES),
    };
  const responseHeaders = response.headers;
  const isEvent =
    "ce-specversion" in responseHeaders ||
    (responseHeaders["content-type"] ?? "").startsWith("application/cloudevents+json");
  if (!isEvent) return { status: response.status };
  const body = response.body.toString("utf8");
  try {
    // Binary mode, which consumers answer in, without the SDK's per-call cost; checked against
    // the spec all the same.
    const reply =
      fromBinaryHttp(responseHeaders, body) ??
      (HTTP.toEvent({ headers: responseHeaders, body }) as CloudEvent<unknown>);
    reply.validate();
    return { status: response.status, reply };
  } catch (err) {
    // Knative treats an unreadable reply as a failed delivery.
    const error = `the subscriber's reply is not a valid CloudEvent: ${(err as Error).message}`;
    return { status: 502, error, errorBody: Buffer.from(error) };
  }
}

// Keep-alive connections to the subscriber, as Knative's dispatchers keep them. node:http rather
// than fetch: a dispatcher spends most of its time here, and undici's fetch (streams, abort
// signals, a timer per request) cost about half its CPU under load (profiled).
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/** A subscriber URL as node:http's request options, parsed once: it is the same every time. */
const targets = new Map<string, { options: RequestOptions; secure: boolean }>();

function targetOf(url: string): { options: RequestOptions; secure: boolean } {
  let target = targets.get(url);
  if (!target) {
    const parsed = new URL(url);
    const secure = parsed.protocol === "https:";
    target = {
      options: {
        ...urlToHttpOptions(parsed),
        method: "POST",
        agent: secure ? agents.https : agents.http,
      },
      secure,
    };
    targets.set(url, target);
  }
  return target;
}

function post(
  url: string,
  traceHeaders: Record<string, string>,
  request: DispatchRequest,
  timeoutMs: number | undefined,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const { options, secure } = targetOf(url);
    const payload = request.body;
    const req = (secure ? httpsRequest : httpRequest)(
      {
        ...options,
        headers: {
          ...traceHeaders,
          ...request.headers,
          "content-length": String(payload.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: flatten(res.headers),
            body: Buffer.concat(chunks),
          });
        });
        res.on("error", (err) => fail(err));
      },
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(new Error(err.message));
    };
    // One deadline for the whole exchange, headers and body, as fetch's AbortSignal.timeout gave.
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            req.destroy();
            reject(new Error(`no answer within ${timeoutMs} ms`));
          }, timeoutMs);
    req.on("error", fail);
    req.end(payload);
  });
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers))
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}
