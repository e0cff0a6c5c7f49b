/** The ingress's own errors on top of the shared HttpError (lib/http-problem.ts). */
import { HttpError, type FieldError } from "../../lib/http-problem.js";

export { HttpError };

/**
 * The 400 for an event whose checks failed: the first error in the detail, the listed ones as
 * field errors, and how many more there are (`more` undefined: validation stopped at the first).
 */
export function invalidEvent(
  errors: readonly FieldError[],
  index?: number,
  more: number | undefined = 0,
): HttpError {
  const where = index === undefined ? "" : `event ${index}: `;
  const prefixed =
    index === undefined ? errors : errors.map((e) => ({ ...e, field: `[${index}].${e.field}` }));
  const first = errors[0];
  const others = more === undefined ? undefined : errors.length - 1 + more;
  const tail =
    others === undefined
      ? " (validation stopped at the first error; there may be more)"
      : others > 0
        ? ` (and ${others} more)`
        : "";
  const detail = `${where}${first ? `${first.field} ${first.message}` : "invalid event"}${tail}`;
  return new HttpError(
    400,
    "Invalid event",
    detail,
    prefixed,
    {},
    more ? { moreErrors: more } : {},
  );
}
