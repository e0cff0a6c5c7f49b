/**
 * Knative's delivery semantics (eventing pkg/kncloudevents): which answers are worth another try,
 * and how long to wait before it.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retry: number;
  backoffPolicy: "linear" | "exponential";
  backoffDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
}

/** Network errors (status undefined), 404, 408, 409, 429 and 5xx are retried; other answers are final. */
export function isRetryable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Wait before retry number `n` (1-based): linear `delay × n`, exponential `delay × 2^(n-1)`,
 * so the first retry always waits `backoffDelay`.
 */
export function backoffMs(policy: RetryPolicy, n: number): number {
  return policy.backoffPolicy === "linear"
    ? policy.backoffDelayMs * n
    : policy.backoffDelayMs * 2 ** (n - 1);
}
