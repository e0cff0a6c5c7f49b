/**
 * One error type for everything a request can get wrong, mapped to RFC 9457
 * application/problem+json in one place (the app's onError).
 */
import type { FieldError } from "../events/registry.js";

export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: 400 | 413 | 415 | 429 | 503,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  toProblem(instance: string): Record<string, unknown> {
    return {
      type: "about:blank",
      title: this.title,
      status: this.status,
      detail: this.detail,
      instance,
      ...(this.errors.length ? { errors: this.errors } : {}),
    };
  }
}

export function invalidEvent(errors: readonly FieldError[], index?: number): HttpError {
  const where = index === undefined ? "" : `event ${index}: `;
  const prefixed =
    index === undefined ? errors : errors.map((e) => ({ ...e, field: `[${index}].${e.field}` }));
  const first = errors[0];
  const detail = `${where}${first ? `${first.field} ${first.message}` : "invalid event"}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`;
  return new HttpError(400, "Invalid event", detail, prefixed);
}
