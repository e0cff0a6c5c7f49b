/**
 * A dead letter as `leveler dlq list` and the dashboard show it: the fields of the dead-letter
 * sink's listing (functions/dead-letters/dead-letter.ts, DeadLetterView), the same against a
 * local platform or a cluster.
 */
export interface DeadLetter {
  /** The parked queue it is in. */
  queue: string;
  id: string;
  type: string;
  source: string;
  time: string | null;
  /** `knativeerrordest`: the subscriber that refused or failed. */
  errorDestination: string | null;
  /** `knativeerrorcode`: its HTTP status (-1 when there was no answer). */
  errorCode: string | null;
  /** `knativeerrordata`, decoded from base64 when it is text. */
  errorData: string | null;
  data: unknown;
}

export interface ReplayFilter {
  type?: string;
  id?: string;
}
