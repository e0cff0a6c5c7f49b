/** Errors a sink raises; the ingress maps each to one HTTP status in a single place. */

/** A failed send. A send of several events is not atomic at the broker: some may have been taken. */
export abstract class SinkError extends Error {
  /** Ids of the events of the failed send that the sink did take (confirmed, or answered 2xx). */
  accepted: readonly string[] = [];
}

/** The broker cannot be reached or the publish could not be confirmed: 503 with Retry-After. */
export class BrokerUnavailableError extends SinkError {
  override readonly name = "BrokerUnavailableError";
}

/** The broker refused the publish (a queue at its bound, a nack): 429 with Retry-After. */
export class PublishRejectedError extends SinkError {
  override readonly name = "PublishRejectedError";
}

/**
 * After every event of a send has settled: throws the first failure, carrying the ids of the
 * events that did get through, so the caller can say exactly what was accepted.
 */
export function throwFirstFailure(
  events: readonly { id: string }[],
  results: readonly PromiseSettledResult<unknown>[],
): void {
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (!failure) return;
  const err: unknown = failure.reason;
  if (err instanceof SinkError)
    err.accepted = events.filter((_, i) => results[i]!.status === "fulfilled").map((e) => e.id);
  throw err;
}
