/**
 * What a parked dead letter looks like to an operator, and what a replay sends: pure functions
 * over CloudEvents. The view has the same fields as the local platform's dead-letter listing, so
 * `leveler dlq list` shows either the same way.
 */
import { CloudEvent } from "cloudevents";
import type { DeadLetterView } from "../../lib/dead-letter-view.js";

export type { DeadLetterView };

/**
 * The extensions Knative adds to a dead letter (knative/eventing pkg/channel/attributes
 * knative_error.go; eventing-rabbitmq pkg/dispatcher/dispatcher.go sets dest and code).
 */
export const ERROR_EXTENSIONS = ["knativeerrordest", "knativeerrorcode", "knativeerrordata"];

export interface DeadLetterFilter {
  type?: string | undefined;
  id?: string | undefined;
}

export function matches(event: CloudEvent<unknown>, filter: DeadLetterFilter): boolean {
  return (
    (filter.type === undefined || event.type === filter.type) &&
    (filter.id === undefined || event.id === filter.id)
  );
}

export function describeDeadLetter(queue: string, event: CloudEvent<unknown>): DeadLetterView {
  const ext = (name: string): string | null => {
    const value = (event as unknown as Record<string, unknown>)[name];
    if (value === undefined || value === null) return null;
    return typeof value === "string" ? value : JSON.stringify(value);
  };
  return {
    queue,
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time ?? null,
    errorDestination: ext("knativeerrordest"),
    errorCode: ext("knativeerrorcode"),
    errorData: decodeErrorData(ext("knativeerrordata")),
    data: viewData(event.data),
  };
}

/** The event as it was before it failed: the same attributes and data, no error extensions. */
export function withoutErrorExtensions(event: CloudEvent<unknown>): CloudEvent<unknown> {
  const attributes = { ...event } as Record<string, unknown>;
  for (const name of ERROR_EXTENSIONS) delete attributes[name];
  return new CloudEvent(attributes, false);
}

/** Knative base64-encodes the error data; show it as text when it decodes to valid UTF-8. */
export function decodeErrorData(raw: string | null): string | null {
  if (raw === null || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) return raw;
  const bytes = Buffer.from(raw, "base64");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return raw;
  }
}

function viewData(data: unknown): unknown {
  if (data instanceof Uint8Array) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      return { base64: Buffer.from(data).toString("base64") };
    }
  }
  return data ?? null;
}
