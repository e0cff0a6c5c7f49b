/**
 * What a dispatcher POSTs for one message, in binary content mode: the `ce-*` headers, the
 * `content-type` and the body, built once per message (retries reuse it) straight from the AMQP
 * delivery. The cloudevents SDK's event is only built for the rare message that needs it (a dead
 * letter, an attribute the SDK treats specially): building it, then reading it back into headers
 * and re-serialising its JSON, was a good part of what a dispatcher spent per event (profiled).
 *
 * The headers are those the SDK's event would give (`attributesOf`); the body is the message's
 * own bytes, as eventing-rabbitmq forwards them, where the event's JSON data used to be parsed and
 * serialised again: the same JSON value, byte for byte what the publisher wrote. A body declared
 * JSON is still parsed, so a message that is not JSON stays undeliverable (AmqpDecodeError).
 */
import type { CloudEvent } from "cloudevents";
import {
  attributesFromAmqp,
  attributesOf,
  encodeData,
  fromAmqp,
  isJsonContentType,
  parseJson,
  type ReceivedAmqpMessage,
} from "../../lib/cloudevent-amqp.js";

export interface DispatchRequest {
  id: string;
  type: string;
  /** `ce-*` and `content-type` (trace headers are added per attempt). */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Attributes the SDK's constructor does more with than keep (data, a version check): a message
 * carrying one of them takes the SDK's way.
 */
const SDK_HANDLED = new Set(["data", "data_base64", "schemaurl"]);

/** The request for a delivery; throws an AmqpDecodeError when the message is not a CloudEvent. */
export function requestFromAmqp(message: ReceivedAmqpMessage): DispatchRequest {
  const attributes = attributesFromAmqp(message);
  const { id, type, time, specversion } = attributes;
  // The SDK would fill an empty id or time and take a 0.3 event its own way.
  if (!id || !time || specversion !== "1.0" || type === undefined) return viaSdk(message);
  const headers: Record<string, string> = {};
  for (const name in attributes) {
    if (SDK_HANDLED.has(name)) return viaSdk(message);
    headers[name === "datacontenttype" ? "content-type" : `ce-${name}`] = attributes[name]!;
  }
  const content = message.content;
  if (content.length > 0 && isJsonContentType(attributes.datacontenttype)) {
    // JSON `null` is no data to the SDK (an empty body): rare enough to leave to it.
    if (parseJson(content) === null) return viaSdk(message);
    headers["content-type"] ??= "application/json";
  }
  return { id, type, headers, body: content };
}

/** The request for an SDK event: what a dead-letter dispatcher or a test hands over. */
export function requestFromEvent(event: CloudEvent<unknown>): DispatchRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributesOf(event))) {
    headers[name === "datacontenttype" ? "content-type" : `ce-${name}`] = value;
  }
  // An event without datacontenttype carries JSON (the JSON event format's default); say so, or
  // the receiver would read the body as text.
  if (!headers["content-type"] && event.data !== undefined && !Buffer.isBuffer(event.data))
    headers["content-type"] = "application/json";
  return { id: event.id, type: event.type, headers, body: encodeData(event) };
}

function viaSdk(message: ReceivedAmqpMessage): DispatchRequest {
  return requestFromEvent(fromAmqp(message));
}
