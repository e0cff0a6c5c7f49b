/**
 * A CloudEvent from an HTTP request or answer in binary content mode (attributes as `ce-*`
 * headers, data as the body): the cloudevents SDK's `HTTP.toEvent` for that mode, step for step
 * (node_modules/cloudevents/dist/message/http/index.js, `parseBinary`; headers.js,
 * `v1binaryParsers`; parsers.js, `JSONParser` and `DateParser`), without its cost. The SDK's JSON
 * parser builds two ValidationErrors (each capturing a stack trace) on every call, to throw them
 * only if the payload is missing, and formats a Date to test it: about half of what a consumer and
 * a dispatcher spent per event on CloudEvents. Binary mode is what every hop inside leveler uses
 * (the dispatcher delivers in it, consumers reply in it); anything else (structured mode, a
 * batch, CloudEvents 0.3) returns undefined and the caller hands it to the SDK. The result is the
 * SDK's `CloudEvent`, built unvalidated as the SDK builds it here: callers validate what they rely
 * on, as they did.
 */
import type { CloudEvent } from "cloudevents";
import { unvalidatedCloudEvent } from "./cloudevent-new.js";

/** Header → attribute, in the SDK's order: a later header wins (`content-type` over `datacontenttype`). */
const BINARY_ATTRIBUTES: readonly (readonly [string, string])[] = [
  ["ce-type", "type"],
  ["ce-specversion", "specversion"],
  ["ce-source", "source"],
  ["ce-id", "id"],
  ["ce-time", "time"],
  ["ce-dataschema", "dataschema"],
  ["ce-subject", "subject"],
  ["datacontenttype", "datacontenttype"],
  ["content-type", "datacontenttype"],
];
const HANDLED = new Set(BINARY_ATTRIBUTES.map(([header]) => header));

/** The content types the SDK parses as JSON (parsers.js, `parserByContentType`); exact matches. */
const JSON_CONTENT_TYPES = new Set([
  "application/json",
  "application/cloudevents+json",
  "application/json; charset=utf-8",
  "application/cloudevents+json; charset=utf-8",
]);

/**
 * The event in a binary-mode message, or undefined when the message is in another mode (the SDK
 * reads those). `headers` have lower-case names, as Node's and fetch's headers do. Throws a
 * SyntaxError when the data is declared JSON and is not, as the SDK does.
 */
export function fromBinaryHttp(
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
): CloudEvent<unknown> | undefined {
  // The SDK's getMode and getVersion: a `application/cloudevents…` content type is structured or
  // batch mode; otherwise `ce-id` makes it binary; no `ce-specversion` means 1.0.
  if (headers["content-type"]?.startsWith("application/cloudevents")) return undefined;
  if (!headers["ce-id"]) return undefined;
  if ((headers["ce-specversion"] || "1.0") !== "1.0") return undefined;

  const attributes: Record<string, unknown> = {};
  for (const [header, attribute] of BINARY_ATTRIBUTES) {
    const value = headers[header];
    if (value) attributes[attribute] = attribute === "time" ? isoTime(value) : value;
  }
  // Every other `ce-` header is an extension; an empty attribute header was not taken above and
  // lands here too, as in the SDK.
  for (const header in headers) {
    if (!header.startsWith("ce-") || (HANDLED.has(header) && headers[header])) continue;
    attributes[header.slice(3)] = headers[header];
  }
  let data: unknown = body;
  const contentType = attributes.datacontenttype as string | undefined;
  if (body && contentType !== undefined && JSON_CONTENT_TYPES.has(contentType))
    // The SDK quotes a payload that does not open like JSON text, so `abc` reads as "abc".
    data = JSON.parse(/^[[|{|"]/.test(body) ? body : `"${body}"`);
  if (contentType === "application/json" && attributes.datacontentencoding === "base64")
    delete attributes.datacontentencoding;
  return unvalidatedCloudEvent(attributes, data);
}

/** The SDK's DateParser: an ISO time, or now when the header is not a date. */
function isoTime(value: string): string {
  const ms = Date.parse(value);
  return (Number.isNaN(ms) ? new Date() : new Date(ms)).toISOString();
}

/** An event this process makes and sends in binary mode (a consumer's reply): CloudEvents 1.0. */
export interface OutgoingEvent {
  /** Not empty (the SDK would put a UUID in place of an empty one). */
  id: string;
  type: string;
  source: string;
  /** `time` as the SDK stamps it: now unless given. */
  time?: string;
  datacontenttype?: string;
  subject?: string;
  dataschema?: string;
  /** Sent as JSON text. */
  data?: Record<string, unknown>;
  /**
   * Extension attributes (`traceparent`), none named as an attribute above, none of digits alone
   * (JavaScript lists such names first, so the SDK writes them before `ce-id`).
   */
  extensions?: Readonly<Record<string, string>>;
}

export interface BinaryHttpMessage {
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * The binary-mode message for an event: what the SDK's `HTTP.binary(new CloudEvent(event, false))`
 * makes (message/http/index.js, `binary`; headers.js, `headersFor`), the same headers in the same
 * order and the same body, without building and freezing a CloudEvent (whose constructor copies
 * the attributes and deletes them one by one) and walking its properties: the larger part of what
 * a consumer spent on its reply. The event is unvalidated, as the SDK's is with `false`: every
 * attribute is the caller's own.
 */
export function toBinaryHttp(event: OutgoingEvent): BinaryHttpMessage {
  // The SDK's default content type first; an event's `datacontenttype` replaces it in place.
  const headers: Record<string, string> = {
    "content-type": event.datacontenttype ?? "application/json; charset=utf-8",
  };
  // The CloudEvent's own properties in its constructor's order: id, time, type, source,
  // specversion, datacontenttype, subject, datacontentencoding, dataschema, data..., extensions.
  // `time` goes through a Date both when the constructor stamps it and when headersFor writes it.
  headers["ce-id"] = event.id;
  headers["ce-time"] = (event.time ? new Date(event.time) : new Date()).toISOString();
  headers["ce-type"] = event.type;
  headers["ce-source"] = event.source;
  headers["ce-specversion"] = "1.0";
  if (event.subject !== undefined) headers["ce-subject"] = event.subject;
  if (event.dataschema !== undefined) headers["ce-dataschema"] = event.dataschema;
  if (event.extensions)
    for (const name in event.extensions) {
      const value = event.extensions[name];
      if (value !== undefined) headers[`ce-${name}`] = value;
    }
  return { headers, body: event.data === undefined ? undefined : JSON.stringify(event.data) };
}
