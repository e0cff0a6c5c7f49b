/**
 * One typed error for everything an HTTP request can get wrong, and one mapping of it to RFC 9457
 * application/problem+json. The ingress and the dashboard both throw `HttpError` and answer
 * through `problemResponse` in their `onError`.
 *
 * ```ts
 * app.onError((err, c) => problemResponse(err, c.req.path));
 * throw new HttpError(400, "Invalid event", "data.total must be >= 0", [
 *   { field: "data.total", message: "must be >= 0" },
 * ]);
 * ```
 */

/** One field at fault: where (`data.items[0].quantity`, `ce-id`, `ratio`) and what is wrong. */
export interface FieldError {
  field: string;
  message: string;
}

/** The statuses our handlers answer with on purpose; anything else thrown is a 500. */
export type HttpErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 431 | 503;

export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: HttpErrorStatus,
    readonly title: string,
    readonly detail: string,
    readonly errors: readonly FieldError[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
    /** Extra members of the problem document (RFC 9457 §3.2 extensions), e.g. what was accepted. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
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
      ...this.extensions,
    };
  }
}

export interface ProblemOptions {
  /** Called with anything thrown that is not an HttpError (answered as a bare 500). */
  onUnexpected?: (err: unknown) => void;
}

/** The application/problem+json answer for `err`; what is not an HttpError becomes a bare 500. */
export function problemResponse(
  err: unknown,
  instance: string,
  options: ProblemOptions = {},
): Response {
  const known = err instanceof HttpError ? err : undefined;
  if (!known) options.onUnexpected?.(err);
  const body = known
    ? known.toProblem(instance)
    : {
        type: "about:blank",
        title: "Internal Server Error",
        status: 500,
        detail: "an unexpected error occurred",
        instance,
      };
  return new Response(JSON.stringify(body), {
    status: known?.status ?? 500,
    headers: { "content-type": "application/problem+json", ...known?.headers },
  });
}
