/**
 * The dashboard's requests answer errors as the ingress does: an HttpError (lib/http-problem.ts)
 * mapped to application/problem+json in the routes' onError, naming the field at fault.
 */
import type { Context } from "hono";
import { HttpError, type HttpErrorStatus } from "../../lib/http-problem.js";

/**
 * A 4xx about one body field. `detail` starts with the field's name; the field error repeats
 * what follows it (`count must be ...` → `{ field: "count", message: "must be ..." }`).
 */
export function fieldError(
  status: HttpErrorStatus,
  title: string,
  detail: string,
  field: string,
): HttpError {
  const message = detail.startsWith(field)
    ? detail.slice(field.length).replace(/^:?\s*/, "")
    : detail;
  return new HttpError(status, title, detail, [{ field, message }]);
}

/** The request's JSON object body, or a 400 saying what is wrong with it. */
export async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HttpError(
      400,
      "Bad Request",
      "the body must be a JSON object (content-type: application/json)",
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpError(400, "Bad Request", "the body must be a JSON object");
  return body as Record<string, unknown>;
}
