/** Errors of the dead-letter API as RFC 9457 application/problem+json, mapped in one place. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 503,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
    /** Extension members (RFC 9457 §3.2), e.g. what a failed replay did before it stopped. */
    readonly extensions: Record<string, unknown> = {},
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
      ...this.extensions,
    };
  }
}

/** The broker did not keep or did not give: retryable, so a sender (Knative's dispatcher) retries. */
export function unavailable(
  detail: string,
  extensions: Record<string, unknown> = {},
): ProblemError {
  return new ProblemError(503, "Service Unavailable", detail, { "Retry-After": "1" }, extensions);
}
