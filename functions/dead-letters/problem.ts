/** The dead-letter API's one error of its own; every answer is mapped by lib/http-problem.ts. */
import { HttpError } from "../../lib/http-problem.js";

/** The broker did not keep or did not give: retryable, so a sender (Knative's dispatcher) retries. */
export function unavailable(detail: string, extensions: Record<string, unknown> = {}): HttpError {
  return new HttpError(503, "Service Unavailable", detail, [], { "Retry-After": "1" }, extensions);
}
