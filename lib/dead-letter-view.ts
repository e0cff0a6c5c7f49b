/**
 * A parked dead letter as the dead-letter sink's API lists it (functions/dead-letters) and as
 * `leveler dlq list` and the dashboard show it (platform/dead-letters): one shape for both sides,
 * against a local platform or a cluster.
 */
export interface DeadLetterView {
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
