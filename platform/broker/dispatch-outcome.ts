/**
 * What becomes of a message after one delivery attempt: the dispatcher's whole decision, apart
 * from the I/O that carries it out (`Dispatcher` only performs the outcome).
 *
 * Trigger mode follows eventing-rabbitmq's dispatcher (pkg/dispatcher/dispatcher.go, `getStatus`
 * and `dispatch`): a 2xx is acked; so is any other answer that is not retryable (400, other 4xx
 * outside the retry set, 3xx), which upstream counts as delivered: `getStatus` reports success as
 * "not worth a retry". A consumer that refuses an event keeps it itself, by handing it to the
 * dead-letter sink before its 400 (functions/consumer-runtime). A retryable failure (see
 * `isRetryable`) is tried again after the Go SDK's backoff until `retry` retries have run; then
 * the event goes to the dead-letter exchange, or, with none, is acked and dropped. Stopping cuts
 * the retries short, as a cancelled context does upstream.
 *
 * Dead-letter mode drains a dead-letter queue into its sink and never gives up: it retries any
 * failure with the backoff capped at 30 s, and on stopping leaves the message to be redelivered.
 */
import { backoffMs, isRetryable, type RetryPolicy } from "./retry-policy.js";

export type DispatchOutcome =
  /** Delivered (2xx, or an answer not worth a retry): ack, after the reply (if any) is confirmed. */
  | { kind: "ack" }
  /** Try again after `afterMs`. */
  | { kind: "retry"; afterMs: number }
  /** Publish to the dead-letter exchange (confirmed), then ack. */
  | { kind: "dead-letter" }
  /** Failed with nowhere to dead-letter it: ack and drop, as eventing-rabbitmq does without a DLX. */
  | { kind: "discard" }
  /** Leave unacked (nack with requeue): another delivery will come. */
  | { kind: "requeue" };

export interface AttemptFacts {
  /** HTTP status of the attempt; undefined when no answer came (network error, timeout). */
  status: number | undefined;
  /** The attempt just made, 0-based: attempt 0 is the first delivery, attempt n its n-th retry. */
  attempt: number;
  policy: RetryPolicy;
  mode: "trigger" | "dead-letter";
  stopping: boolean;
  /** Whether a dead-letter exchange is configured (trigger mode). */
  hasDeadLetterTarget: boolean;
}

/** The longest wait between two tries of the dead-letter sink. */
export const DEAD_LETTER_MAX_BACKOFF_MS = 30_000;

export function decideOutcome(facts: AttemptFacts): DispatchOutcome {
  const { status, attempt, policy } = facts;
  if (status !== undefined && status >= 200 && status < 300) return { kind: "ack" };
  const next = attempt + 1;
  if (facts.mode === "dead-letter") {
    if (facts.stopping) return { kind: "requeue" };
    return {
      kind: "retry",
      afterMs: Math.min(backoffMs(policy, next), DEAD_LETTER_MAX_BACKOFF_MS),
    };
  }
  // Upstream: not retryable means delivered (getStatus returns !retry as the success flag).
  if (!isRetryable(status)) return { kind: "ack" };
  if (attempt < policy.retry && !facts.stopping)
    return { kind: "retry", afterMs: backoffMs(policy, next) };
  return facts.hasDeadLetterTarget ? { kind: "dead-letter" } : { kind: "discard" };
}
