/**
 * Errors in a dashboard request, mapped to RFC 9457 application/problem+json in one place (the
 * routes' onError), naming the field at fault as the ingress does.
 */
import type { Context } from "hono";

export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    readonly status: 400 | 403 | 409 | 503,
    readonly title: string,
    detail: string,
    /** The body field at fault, if one is. */
    readonly field?: string,
  ) {
    super(detail);
  }
}

export function problem(c: Context, err: Error): Response {
  const known = err instanceof RequestError ? err : undefined;
  const status = known?.status ?? 500;
  const body = {
    type: "about:blank",
    title: known?.title ?? "Internal Server Error",
    status,
    detail: known ? err.message : "an unexpected error occurred",
    instance: c.req.path,
    // As the ingress's errors: the field, and what is wrong with it (without naming it twice).
    ...(known?.field
      ? {
          errors: [
            {
              field: known.field,
              message: err.message.startsWith(known.field)
                ? err.message.slice(known.field.length).replace(/^:?\s*/, "")
                : err.message,
            },
          ],
        }
      : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

/** The request's JSON object body, or a 400 saying what is wrong with it. */
export async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new RequestError(
      400,
      "Bad Request",
      "the body must be a JSON object (content-type: application/json)",
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RequestError(400, "Bad Request", "the body must be a JSON object");
  return body as Record<string, unknown>;
}
