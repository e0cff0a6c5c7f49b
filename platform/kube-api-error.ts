/**
 * One line for a failed Kubernetes API call. @kubernetes/client-node's ApiException message spans
 * lines (code, "Unknown API Status Code!", the raw body, the headers); the API server's own
 * Status message is what a person needs, with the HTTP status.
 */
import { ApiException } from "@kubernetes/client-node";

export function kubeApiReason(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // not a Status object: the text itself is the message
      }
    }
    const message =
      typeof body === "string" ? body : (body as { message?: unknown } | undefined)?.message;
    return `HTTP ${err.code}${typeof message === "string" && message ? `: ${message}` : ""}`.split(
      "\n",
    )[0]!;
  }
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  return (
    [e.code ?? e.cause?.code, e.cause?.message ?? e.message]
      .filter(Boolean)
      .join(" ")
      .split("\n")[0] || String(err)
  );
}
