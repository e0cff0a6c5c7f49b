/**
 * CloudEvents built the way the cloudevents SDK builds them unvalidated, without its
 * constructor's cost (node_modules/cloudevents/dist/event/cloudevent.js). The constructor copies
 * the attributes it is given and deletes them from the copy one by one, which turns the copy into
 * a slow dictionary, and tests every extension's name and value only to ignore the answer when not
 * strict; `cloneWith` copies the event once more before all that. Every event the ingress accepts
 * and every event a traced publish stamps went through it. The result is the same: the same
 * properties in the same order with the same values, on an object of the SDK's class, frozen.
 */
import { CloudEvent } from "cloudevents";

/** The properties the SDK's CloudEvent constructor sets itself, in its order; the rest are extensions. */
export const CONSTRUCTOR_PROPERTIES: ReadonlySet<string> = new Set([
  "id",
  "time",
  "type",
  "source",
  "specversion",
  "datacontenttype",
  "subject",
  "datacontentencoding",
  "dataschema",
  "data_base64",
  "schemaurl",
  "data",
]);

/**
 * `new CloudEvent({ ...attributes, data }, false)`. The same order puts any array-index extension
 * name first, as there. What the constructor computes rather than copies is left to it: an event
 * without an id (it makes a UUID), another spec version than 1.0 (it checks what 0.3 refuses),
 * `data_base64` (it decodes it), `schemaurl` (it refuses it on 1.0) and binary data (it encodes
 * it to `data_base64`).
 */
export function unvalidatedCloudEvent(
  attributes: Readonly<Record<string, unknown>>,
  data: unknown,
): CloudEvent<unknown> {
  if (
    !attributes.id ||
    (attributes.specversion && attributes.specversion !== "1.0") ||
    attributes.data_base64 !== undefined ||
    attributes.schemaurl !== undefined ||
    ArrayBuffer.isView(data)
  )
    return new CloudEvent<unknown>({ ...attributes, data }, false);
  const event = Object.create(CloudEvent.prototype) as Record<string, unknown>;
  event.id = attributes.id;
  event.time = attributes.time || new Date().toISOString();
  event.type = attributes.type;
  event.source = attributes.source;
  event.specversion = attributes.specversion || "1.0";
  event.datacontenttype = attributes.datacontenttype;
  event.subject = attributes.subject;
  event.datacontentencoding = attributes.datacontentencoding;
  event.dataschema = attributes.dataschema;
  event.data_base64 = undefined;
  event.schemaurl = undefined;
  event.data = data;
  for (const name in attributes)
    if (!CONSTRUCTOR_PROPERTIES.has(name)) event[name] = attributes[name];
  return Object.freeze(event) as unknown as CloudEvent<unknown>;
}

/** `event.cloneWith(changes, false)`: a copy with some attributes or extensions replaced or added. */
export function unvalidatedClone(
  event: CloudEvent<unknown>,
  changes: Readonly<Record<string, unknown>>,
): CloudEvent<unknown> {
  const attributes = Object.assign({}, event, changes) as Record<string, unknown>;
  return unvalidatedCloudEvent(attributes, attributes.data);
}
