/**
 * CloudEvents ↔ AMQP 0-9-1, binary content mode, as eventing-rabbitmq maps them
 * (pkg/rabbit/message.go): every context attribute and extension travels as an AMQP header
 * under its plain name (`type`, `source`, `traceparent`, ...), `datacontenttype` goes to the
 * `content-type` header and the AMQP content-type property, the id also to `message-id`, and the
 * data is the body. Plain names matter: a Trigger's `filter.attributes` become the binding
 * arguments of a headers exchange, so header names must equal attribute names.
 *
 * Pure functions, no I/O: the publisher only calls `channel.publish(exchange, "", content, options)`.
 */
import { CloudEvent } from "cloudevents";

export interface AmqpMessage {
  content: Buffer;
  /** AMQP basic properties for `channel.publish`. */
  properties: {
    headers: Record<string, string>;
    contentType?: string;
    messageId: string;
    timestamp: number;
    persistent: true;
  };
}

/** What `amqplib` hands a consumer: enough of `ConsumeMessage` to rebuild the event. */
export interface ReceivedAmqpMessage {
  content: Buffer;
  properties: { headers?: Record<string, unknown> | undefined; contentType?: unknown };
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

export function toAmqp(event: CloudEvent<unknown>): AmqpMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributesOf(event))) {
    headers[name === "datacontenttype" ? DATACONTENTTYPE_HEADER : name] = value;
  }
  return {
    content: encodeData(event),
    properties: {
      headers,
      ...(event.datacontenttype !== undefined ? { contentType: event.datacontenttype } : {}),
      messageId: event.id,
      timestamp: Math.floor(Date.now() / 1000),
      persistent: true,
    },
  };
}

/**
 * Rebuilds the CloudEvent from a delivery. Headers that RabbitMQ or we add for routing
 * (`x-*`) are not attributes and are skipped, as eventing-rabbitmq's ReadBinary does.
 */
export function fromAmqp(message: ReceivedAmqpMessage): CloudEvent<unknown> {
  const raw = message.properties.headers ?? {};
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = key.toLowerCase().replace(/^ce[-_]/, "");
    if (name.startsWith("x-") || value === undefined || value === null) continue;
    if (name === DATACONTENTTYPE_HEADER) attributes.datacontenttype = headerText(value);
    else attributes[name] = headerText(value);
  }
  if (
    attributes.datacontenttype === undefined &&
    typeof message.properties.contentType === "string"
  ) {
    attributes.datacontenttype = message.properties.contentType;
  }
  if (attributes.specversion === undefined)
    throw new AmqpDecodeError("message has no specversion header");
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

export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true; // CloudEvents: data without a type is JSON in practice
  const base = contentType.split(";")[0]!.trim().toLowerCase();
  return base === "application/json" || base === "text/json" || base.endsWith("+json");
}

function parseJson(content: Buffer): unknown {
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
