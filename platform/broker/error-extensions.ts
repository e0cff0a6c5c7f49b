/**
 * Knative's dead-letter extensions for an event that could not be delivered:
 * `knativeerrordest` (where it failed), `knativeerrorcode` (the HTTP status as an integer, -1
 * without an answer, as eventing-rabbitmq's dispatcher sets it) and `knativeerrordata` (the
 * answer's body, base64-encoded, then cut to 1024 encoded characters, as core Knative's
 * dispatcher does in pkg/kncloudevents/event_dispatcher.go). No answer, no data.
 *
 * eventing-rabbitmq's own dispatcher writes no `knativeerrordata` for a failed delivery; leveler
 * adds it so `leveler dlq list` can show what the consumer said.
 */
export const KNATIVE_ERROR_DATA_MAX_LENGTH = 1024;

/** Bytes of a body whose base64 fills exactly the 1024 characters kept (4 characters per 3 bytes). */
export const KNATIVE_ERROR_BODY_BYTES = (KNATIVE_ERROR_DATA_MAX_LENGTH / 4) * 3;

export interface KnativeErrorExtensions {
  knativeerrordest: string;
  knativeerrorcode: number;
  knativeerrordata?: string;
}

export function knativeErrorExtensions(
  destination: string,
  status: number | undefined,
  body: Buffer | undefined,
): KnativeErrorExtensions {
  const extensions: KnativeErrorExtensions = {
    knativeerrordest: destination,
    knativeerrorcode: status ?? -1,
  };
  if (status !== undefined && body !== undefined && body.length > 0)
    extensions.knativeerrordata = body.toString("base64").slice(0, KNATIVE_ERROR_DATA_MAX_LENGTH);
  return extensions;
}
