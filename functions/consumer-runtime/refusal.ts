/**
 * A refused event, ready for the dead-letter sink. eventing-rabbitmq treats a 400 (any answer
 * its retry rule calls non-retryable: 4xx but 404/408/409/429, and 3xx) as delivered and acks it
 * (pkg/dispatcher/dispatcher.go: getStatus reports success when SelectiveRetry says no retry), so
 * a consumer that only answered 400 would make the event vanish on a cluster. The consumer hands
 * it to the sink first, with the extensions Knative puts on a dead letter
 * (https://knative.dev/docs/eventing/event-delivery/, "Dead letter sink extensions"), then answers.
 */
import type { CloudEvent } from "cloudevents";

/** Knative cuts the base64 of the error data to this many characters (pkg/channel/attributes). */
export const ERROR_DATA_MAX = 1024;

export interface Refusal {
  /** The consumer's address as the dispatcher called it (`knativeerrordest`). */
  destination: string;
  /** The status the consumer answers (`knativeerrorcode`). */
  code: number;
  /** The answer's body (`knativeerrordata`, base64). */
  body: string;
}

export function withRefusal(event: CloudEvent<unknown>, refusal: Refusal): CloudEvent<unknown> {
  return event.cloneWith(
    {
      knativeerrordest: refusal.destination,
      knativeerrorcode: String(refusal.code),
      knativeerrordata: Buffer.from(refusal.body, "utf8")
        .toString("base64")
        .slice(0, ERROR_DATA_MAX),
    },
    false,
  );
}
