/** The ingress's own errors on top of the shared HttpError (lib/http-problem.ts). */
import { HttpError, type FieldError } from "../../lib/http-problem.js";

export { HttpError };

export function invalidEvent(errors: readonly FieldError[], index?: number): HttpError {
  const where = index === undefined ? "" : `event ${index}: `;
  const prefixed =
    index === undefined ? errors : errors.map((e) => ({ ...e, field: `[${index}].${e.field}` }));
  const first = errors[0];
  const detail = `${where}${first ? `${first.field} ${first.message}` : "invalid event"}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`;
  return new HttpError(400, "Invalid event", detail, prefixed);
}
