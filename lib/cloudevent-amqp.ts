/**
 * CloudEvents ↔ AMQP 0-9-1, binary content mode, as eventing-rabbitmq maps them
 * (pkg/rabbit/message.go, `CloudEventToRabbitMQMessage` and `NewMessageFromDelivery`): every
 * context attribute and extension travels as an AMQP header under its plain name (`type`,
 * `source`, ...), `datacontenttype` goes to the `content-type` header and the AMQP content-type
 * property, the id also to `message-id`, and the data is the body. Plain names matter: a Trigger's
 * `filter.attributes` become the binding arguments of a headers exchange, so header names must
 * equal attribute names.
 *
 * As upstream: `time` and `content-type` are always written (empty when the event has no content
 * type); extensions keep their type (an integer goes as a 32-bit integer, a boolean as a boolean);
 * no AMQP `timestamp` property. Trace context: `traceparent` and `tracestate` are message headers
 * written together, not event attributes: reading drops them from the event, and
 * `traceContextOf` hands them to whoever continues the trace, only when both are there.
 *
 * Pure functions, no I/O: the publisher only calls `channel.publish(exchange, "", content, options)`.
 */
import { CloudEvent } from "cloudevents";

/** An AMQP header value as amqplib encodes it; `{ "!": "int" }` forces a 32-bit integer. */
export type AmqpHeaderValue = string | boolean | number | { "!": "int"; value: number };

export interface AmqpMessage {
  content: Buffer;
  /** AMQP basic properties for `channel.publish`. */
  properties: {
    headers: Record<string, AmqpHeaderValue>;
    contentType?: string;
    messageId: string;
    persistent: true;
  };
}

/** What `amqplib` hands a consumer: enough of `ConsumeMessage` to rebuild the event. */
export interface ReceivedAmqpMessage {
  content: Buffer;
  properties: { headers?: Record<string, unknown> | undefined; contentType?: unknown };
}

/** W3C trace context carried beside an event. */
export interface TraceContextHeaders {
  traceparent: string;
  tracestate: string;
}

export class AmqpDecodeError extends Error {
  override readonly name = "AmqpDecodeError";
}

const DATACONTENTTYPE_HEADER = "content-type";

/** Serialises an event's data the way the HTTP binary mode does: JSON unless it is bytes or text. */
export function encodeData(event: CloudEvent<unknown>): Buffer {
  const data = event.data ?? event.data_base64;
  if (data === undefined || data === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  if (event.data_base64 !== undefined && event.data === undefined)
    return Buffer.from(event.data_base64, "base64");
  if (typeof data === "string" && !isJsonContentType(event.datacontenttype))
    return Buffer.from(data, "utf8");
  return Buffer.from(JSON.stringify(data), "utf8");
}

/** Every context attribute and extension of an event as text, without the data. */
export function attributesOf(event: CloudEvent<unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries<unknown>(event)) {
    if (name === "data" || name === "data_base64" || value === undefined || value === null)
      continue;
    out[name] = headerText(value);
  }
  return out;
}

/** The context attributes of CloudEvents 1.0 (and 0.3); everything else is an extension. */
const SPEC_ATTRIBUTES = new Set([
  "id",
  "source",
  "specversion",
  "type",
  "datacontenttype",
  "dataschema",
  "subject",
  "time",
  "schemaurl",
  "datacontentencoding",
]);
const TRACE_HEADERS = new Set(["traceparent", "tracestate"]);
/** What Go's zero `time.Time` prints as: upstream's `time` header for an event without one. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

export function toAmqp(event: CloudEvent<unknown>): AmqpMessage {
  const headers: Record<string, AmqpHeaderValue> = {
    [DATACONTENTTYPE_HEADER]: event.datacontenttype ?? "",
    time: event.time ?? ZERO_TIME,
  };
  for (const [name, value] of Object.entries<unknown>(event)) {
    if (name === "data" || name === "data_base64" || TRACE_HEADERS.has(name)) continue;
    if (value === undefined || value === null || name === "datacontenttype") continue;
    headers[name] = SPEC_ATTRIBUTES.has(name) ? headerText(value) : extensionHeader(value);
  }
  // Written together or not at all, as upstream writes the publishing span's context.
  if (typeof event.traceparent === "string") {
    headers.traceparent = event.traceparent;
    headers.tracestate = typeof event.tracestate === "string" ? event.tracestate : "";
  }
  return {
    content: encodeData(event),
    properties: {
      headers,
      ...(event.datacontenttype !== undefined ? { contentType: event.datacontenttype } : {}),
      messageId: event.id,
      persistent: true,
    },
  };
}

/**
 * The trace context a message carries in its `traceparent` and `tracestate` headers; undefined
 * unless both are strings, as eventing-rabbitmq's dispatcher continues a trace (`readSpan`).
 */
export function traceContextOf(
  headers: Record<string, unknown> | undefined,
): TraceContextHeaders | undefined {
  const traceparent = headers?.traceparent;
  const tracestate = headers?.tracestate;
  return typeof traceparent === "string" && typeof tracestate === "string"
    ? { traceparent, tracestate }
    : undefined;
}

/**
 * Rebuilds the CloudEvent from a delivery. Headers that RabbitMQ or we add for routing
 * (`x-*`) are not attributes and are skipped, as eventing-rabbitmq's ReadBinary does; neither are
 * `traceparent` and `tracestate`. Every value is read back as text, as upstream reads them.
 */
export function fromAmqp(message: ReceivedAmqpMessage): CloudEvent<unknown> {
  const attributes: Record<string, unknown> = attributesFromAmqp(message);
  const contentType = attributes.datacontenttype as string | undefined;
  if (message.content.length > 0) {
    attributes.data = isJsonContentType(contentType) ? parseJson(message.content) : message.content;
  }
  try {
    return new CloudEvent(attributes, false);
  } catch (err) {
    throw new AmqpDecodeError(`message is not a CloudEvent: ${(err as Error).message}`);
  }
}

/**
 * The context attributes and extensions a delivery's headers carry, as text, read as `fromAmqp`
 * reads them (the event without its data and without the SDK's defaults). Throws an
 * AmqpDecodeError when there is no `specversion`.
 */
export function attributesFromAmqp(message: ReceivedAmqpMessage): Record<string, string> {
  const raw = message.properties.headers ?? {};
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (TRACE_HEADERS.has(key)) continue; // trace context, not attributes (see traceContextOf)
    const name = key.toLowerCase().replace(/^ce[-_]/, "");
    if (name.startsWith("x-") || value === undefined || value === null) continue;
    if (name === DATACONTENTTYPE_HEADER) {
      // An empty content-type header means none, as the Go SDK's SetDataContentType reads it.
      const text = headerText(value).trim();
      if (text !== "") attributes.datacontenttype = text;
    } else attributes[name] = headerText(value);
  }
  if (
    attributes.datacontenttype === undefined &&
    typeof message.properties.contentType === "string" &&
    message.properties.contentType !== ""
  ) {
    attributes.datacontenttype = message.properties.contentType;
  }
  if (attributes.specversion === undefined)
    throw new AmqpDecodeError("message has no specversion header");
  return attributes;
}

export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true; // CloudEvents: data without a type is JSON in practice
  const base = contentType.split(";")[0]!.trim().toLowerCase();
  return base === "application/json" || base === "text/json" || base.endsWith("+json");
}

/** The JSON a message's body holds; an AmqpDecodeError when it is not JSON. */
export function parseJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString("utf8"));
  } catch {
    throw new AmqpDecodeError("message body is not valid JSON although its content type says so");
  }
}

function headerText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (value instanceof Date) return value.toISOString();
  // Numbers and booleans print the same through JSON; objects would otherwise be "[object Object]".
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** An extension's header value: integers as 32-bit integers (Go's int32), booleans kept, the rest text. */
function extensionHeader(value: unknown): AmqpHeaderValue {
  if (typeof value === "boolean") return value;
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= -(2 ** 31) &&
    value < 2 ** 31
  )
    return { "!": "int", value };
  return headerText(value);
}
