/**
 * One HTTP delivery of an event to a subscriber, in binary content mode, with the CloudEvent in
 * the subscriber's answer (if any) read back as the reply.
 */
import { HTTP, type CloudEvent } from "cloudevents";
import { attributesOf, encodeData } from "../../lib/cloudevent-amqp.js";

export interface DeliveryResult {
  /** HTTP status, or undefined when no answer came (network error, timeout). */
  status: number | undefined;
  reply?: CloudEvent<unknown>;
  /** Why it failed, for the dead letter's `knativeerrordata`. */
  error?: string;
}

/**
 * `traceHeaders` are the W3C `traceparent`/`tracestate` of the delivery's own span; they travel
 * beside the event's `ce-traceparent`, which keeps the context the event was published with.
 */
export async function deliver(url: string, event: CloudEvent<unknown>, timeoutMs: number, traceHeaders: Record<string, string> = {}): Promise<DeliveryResult> {
  const headers: Record<string, string> = { ...traceHeaders };
  for (const [name, value] of Object.entries(attributesOf(event))) {
    headers[name === "datacontenttype" ? "content-type" : `ce-${name}`] = value;
  }
  // An event without datacontenttype carries JSON (the JSON event format's default); say so, or
  // the receiver would read the body as text.
  if (!headers["content-type"] && event.data !== undefined && !Buffer.isBuffer(event.data)) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers, body: encodeData(event), signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const reason = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message);
    return { status: undefined, error: reason };
  }
  const body = await response.text().catch(() => "");
  if (!response.ok) return { status: response.status, error: body.slice(0, 1024) };
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, key) => (responseHeaders[key] = value));
  const isEvent = "ce-specversion" in responseHeaders || (responseHeaders["content-type"] ?? "").startsWith("application/cloudevents+json");
  if (!isEvent) return { status: response.status };
  try {
    const reply = HTTP.toEvent({ headers: responseHeaders, body }) as CloudEvent<unknown>;
    reply.validate();
    return { status: response.status, reply };
  } catch (err) {
    // Knative treats an unreadable reply as a failed delivery.
    return { status: 502, error: `the subscriber's reply is not a valid CloudEvent: ${(err as Error).message}` };
  }
}
