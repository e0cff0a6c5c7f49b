/**
 * Knative's delivery semantics as eventing-rabbitmq's dispatcher applies them: which answers are
 * worth another try (knative/eventing `kncloudevents.SelectiveRetry`), and how long to wait before
 * it (the CloudEvents Go SDK's `RetryParams.BackoffFor`, which that dispatcher retries with).
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retry: number;
  backoffPolicy: "linear" | "exponential";
  backoffDelayMs: number;
  /** Per attempt; undefined: no timeout (eventing-rabbitmq's default, `TIMEOUT=0s`). */
  timeoutMs?: number | undefined;
}

/** Network errors (status undefined), 404, 408, 409, 429 and 5xx are retried; other answers are final. */
export function isRetryable(status: number | undefined): boolean {
  if (status === undefined || status === -1) return true;
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Wait before retry number `n` (1-based), as the CloudEvents Go SDK computes it
 * (`v2/context/retry.go`, called with `tries = retry + 1`): linear `delay × n`, exponential
 * `delay × 2^n`, so the first exponential retry already waits twice the delay.
 *
 * Example, PT0.2S and 5 retries: exponential waits 0.4, 0.8, 1.6, 3.2, 6.4 s (12.4 s in all);
 * linear 0.2, 0.4, 0.6, 0.8, 1.0 s.
 */
export function backoffMs(policy: RetryPolicy, n: number): number {
  return policy.backoffPolicy === "linear"
    ? policy.backoffDelayMs * n
    : policy.backoffDelayMs * 2 ** n;
}
