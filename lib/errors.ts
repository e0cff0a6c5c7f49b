/** Errors a sink raises; the ingress maps each to one HTTP status in a single place. */

/** The broker cannot be reached or the publish could not be confirmed: 503 with Retry-After. */
export class BrokerUnavailableError extends Error {
  override readonly name = "BrokerUnavailableError";
}

/** The broker refused the publish (a queue at its bound, a nack): 429 with Retry-After. */
export class PublishRejectedError extends Error {
  override readonly name = "PublishRejectedError";
}
