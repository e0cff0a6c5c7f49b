/**
 * HTTP request → CloudEvents, in the three content modes of the CloudEvents HTTP binding
 * (binary, structured, batch). Parsing is the cloudevents SDK's; on top of it we check what the
 * SDK lets through (it reports one missing attribute at a time and accepts any specversion) so the
 * answer names every attribute at fault.
 */
import { randomUUID } from "node:crypto";
import { HTTP, ValidationError, type CloudEvent } from "cloudevents";
import { isJsonContentType } from "../../lib/cloudevent-amqp.js";
import { unvalidatedClone, unvalidatedCloudEvent } from "../../lib/cloudevent-new.js";
import {
  MAX_LISTED,
  type DataCheck,
  type EventRegistry,
  type FieldError,
} from "../events/registry.js";
import { checkAttributes, MAX_ATTRIBUTE_BYTES } from "./attributes.js";
import { HttpError, invalidEvent } from "./problem.js";

export type ContentMode = "binary" | "structured" | "batch";

const STRUCTURED = "application/cloudevents+json";
const BATCH = "application/cloudevents-batch+json";
const REQUIRED = ["id", "source", "type", "specversion"] as const;

/** Which mode a request is in, from its headers alone (before reading the body). */
export function contentModeOf(headers: Headers): ContentMode {
  const contentType = mediaType(headers.get("content-type"));
  if (contentType === BATCH) return "batch";
  if (contentType === STRUCTURED) return "structured";
  if (headers.has("ce-specversion")) {
    if (!isJsonContentType(contentType || undefined)) {
      throw new HttpError(
        415,
        "Unsupported Media Type",
        `binary-mode data must be JSON; got content-type "${contentType}"`,
      );
    }
    return "binary";
  }
  if (contentType === "application/json" || contentType === "") {
    throw new HttpError(
      400,
      "Not a CloudEvent",
      "no ce-specversion header (binary mode) and content-type is not application/cloudevents+json (structured mode)",
      [{ field: "ce-specversion", message: "is required in binary mode" }],
    );
  }
  throw new HttpError(
    415,
    "Unsupported Media Type",
    `content-type "${contentType}" is not a CloudEvents content mode; use ${STRUCTURED}, ${BATCH}, or binary mode with ce-* headers`,
  );
}

/** Parses and validates every event in the request; throws HttpError naming the first fault. */
export function parseEvents(
  mode: ContentMode,
  headers: Headers,
  body: string,
  registry: EventRegistry,
  maxEventBytes: number,
  maxAttributeBytes = MAX_ATTRIBUTE_BYTES,
): CloudEvent<unknown>[] {
  const headerRecord: Record<string, string> = {};
  headers.forEach((value, key) => (headerRecord[key] = value));
  if (mode !== "binary") rawJson(body); // a syntax error is a 400 of its own, before the SDK sees it
  let parsed: CloudEvent<unknown> | CloudEvent<unknown>[];
  try {
    parsed = HTTP.toEvent({ headers: headerRecord, body }) as
      CloudEvent<unknown> | CloudEvent<unknown>[];
  } catch (err) {
    throw sdkError(err);
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  const json = mode === "binary" ? undefined : (JSON.parse(body) as unknown);
  if (mode === "batch") {
    if (!Array.isArray(json))
      throw new HttpError(400, "Invalid batch", "body: a batch must be a JSON array of events", [
        { field: "body", message: "must be an array" },
      ]);
    if (events.length === 0)
      throw new HttpError(400, "Invalid batch", "body: the batch holds no events", [
        { field: "body", message: "must not be empty" },
      ]);
  }
  const raw = mode === "structured" ? [json] : mode === "batch" ? (json as unknown[]) : [undefined];
  const indexOf = (i: number) => (mode === "batch" ? i : undefined);
  // Sizes first: no schema validation runs on data over the limit, whatever its place in a batch.
  events.forEach((event, i) => checkSize(event, maxEventBytes, indexOf(i)));
  return events.map((event, i) => {
    const problems = checkEvent(event, raw[i], mode, registry, maxAttributeBytes);
    if (problems.errors.length) throw invalidEvent(problems.errors, indexOf(i), problems.more);
    // The data was validated as JSON; say so explicitly for every hop after this one.
    return event.datacontenttype === undefined
      ? unvalidatedClone(event, { datacontenttype: "application/json" })
      : event;
  });
}

/** Builds the event for `POST /events/<type>`, whose body is the data alone. */
export function eventFromData(
  type: string,
  body: string,
  registry: EventRegistry,
  source: string,
  maxEventBytes: number,
): CloudEvent<unknown> {
  const size = Buffer.byteLength(body);
  if (size > maxEventBytes) throw tooLarge(size, maxEventBytes);
  const data = rawJson(body);
  const problems = registry.check(type, data);
  if (problems.errors.length) throw invalidEvent(problems.errors, undefined, problems.more);
  // Every attribute is ours and valid by construction; skip the SDK's per-event schema check
  // and its constructor's cost (lib/cloudevent-new.ts).
  return unvalidatedCloudEvent(
    {
      id: randomUUID(),
      source,
      type,
      datacontenttype: "application/json",
      time: new Date().toISOString(),
    },
    data,
  );
}

function checkEvent(
  event: CloudEvent<unknown>,
  raw: unknown,
  mode: ContentMode,
  registry: EventRegistry,
  maxAttributeBytes: number,
): DataCheck {
  const problems: FieldError[] = [];
  const attribute = (name: string) => (mode === "binary" ? `ce-${name}` : name);
  const given =
    raw && typeof raw === "object"
      ? (raw as Record<string, unknown>)
      : (event as unknown as Record<string, unknown>);
  for (const name of REQUIRED) {
    const value = given[name];
    if (value === undefined || value === null || value === "")
      problems.push({ field: attribute(name), message: "is required" });
    else if (typeof value !== "string")
      problems.push({ field: attribute(name), message: "must be a string" });
  }
  if (typeof given.specversion === "string" && given.specversion !== "1.0") {
    problems.push({
      field: attribute("specversion"),
      message: `must be "1.0", not "${given.specversion}"`,
    });
  }
  if (problems.length) return { errors: problems, more: 0 };
  try {
    event.validate();
  } catch (err) {
    return { errors: [sdkFieldError(err, attribute)], more: 0 };
  }
  const attributes = checkAttributes(event, attribute, maxAttributeBytes);
  if (attributes.length)
    return {
      errors: attributes.slice(0, MAX_LISTED),
      more: Math.max(0, attributes.length - MAX_LISTED),
    };
  if (event.datacontenttype !== undefined && !isJsonContentType(event.datacontenttype)) {
    return {
      errors: [{ field: attribute("datacontenttype"), message: "must be a JSON media type" }],
      more: 0,
    };
  }
  return registry.check(event.type, event.data);
}

function checkSize(event: CloudEvent<unknown>, maxEventBytes: number, index?: number): void {
  const size = Buffer.byteLength(JSON.stringify(event.data ?? null));
  if (size > maxEventBytes) throw tooLarge(size, maxEventBytes, index);
}

function tooLarge(size: number, maxEventBytes: number, index?: number): HttpError {
  return new HttpError(
    413,
    "Event too large",
    `${index === undefined ? "" : `event ${index}: `}data is ${size} bytes; the limit is ${maxEventBytes}`,
    [{ field: "data", message: `must be at most ${maxEventBytes} bytes` }],
  );
}

function rawJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new HttpError(
      400,
      "Malformed JSON",
      `the body is not valid JSON: ${(err as Error).message}`,
      [{ field: "body", message: "must be valid JSON" }],
    );
  }
}

function sdkError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof SyntaxError)
    return new HttpError(400, "Malformed JSON", `the body is not valid JSON: ${err.message}`, [
      { field: "body", message: "must be valid JSON" },
    ]);
  return invalidEvent([sdkFieldError(err, (name) => name)]);
}

function sdkFieldError(err: unknown, attribute: (name: string) => string): FieldError {
  if (err instanceof ValidationError) {
    const first = (
      err.errors as
        | { instancePath?: string; params?: { missingProperty?: string }; message?: string }[]
        | undefined
    )?.[0];
    if (first) {
      const name =
        first.params?.missingProperty ?? first.instancePath?.replace(/^\//, "") ?? "event";
      return { field: attribute(name || "event"), message: first.message ?? "is invalid" };
    }
    const attr = /attribute name: "([^"]+)"/.exec(err.message)?.[1];
    if (attr)
      return {
        field: attr,
        message: "is not a valid attribute name (lower-case letters and digits only)",
      };
    return { field: "event", message: err.message };
  }
  return { field: "event", message: (err as Error).message };
}

function mediaType(value: string | null): string {
  return (value ?? "").split(";")[0]!.trim().toLowerCase();
}
