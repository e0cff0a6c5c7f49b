/**
 * What an event's attributes must be to reach its consumer unchanged. The dispatcher delivers in
 * binary content mode, every attribute an HTTP header (`ce-<name>`): a header value holds no
 * control character and nothing beyond Latin-1 (Node refuses to send them, so the event would be
 * dead-lettered after a 202), keeps no space at either end (HTTP drops it, changing the value),
 * and all of them together must fit the consumer's header limit (16 KiB in lib/runtime/serve.ts;
 * more is a 431). Checked at the edge, before anything is published.
 */
import type { CloudEvent } from "cloudevents";
import { attributesOf } from "../../lib/cloudevent-amqp.js";
import type { FieldError } from "../../lib/http-problem.js";

/** Default for all attributes as headers: half the consumer's 16 KiB, leaving room for the rest. */
export const MAX_ATTRIBUTE_BYTES = 8 * 1024;

// Printable ASCII and printable Latin-1 (C0, DEL and C1 controls excluded).
const NOT_HEADER_SAFE = /[^\x20-\x7e\xa0-\xff]/u;

/** The attributes' problems; `field` names each as the request did (`ce-id` or `id`). */
export function checkAttributes(
  event: CloudEvent<unknown>,
  field: (name: string) => string,
  maxBytes = MAX_ATTRIBUTE_BYTES,
): FieldError[] {
  const problems: FieldError[] = [];
  let total = 0;
  let largest = { name: "", bytes: 0 };
  for (const [name, value] of Object.entries(attributesOf(event))) {
    const bad = NOT_HEADER_SAFE.exec(value);
    if (bad) {
      const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      problems.push({
        field: field(name),
        message: `must hold only printable Latin-1 characters; U+${code} at position ${bad.index}`,
      });
    } else if (value !== value.trim()) {
      problems.push({ field: field(name), message: "must not start or end with a space" });
    }
    // As sent: `ce-<name>: <value>\r\n` (datacontenttype travels as content-type).
    const header = name === "datacontenttype" ? "content-type" : `ce-${name}`;
    const bytes = header.length + 2 + Buffer.byteLength(value, "latin1") + 2;
    total += bytes;
    if (bytes > largest.bytes) largest = { name, bytes };
  }
  if (total > maxBytes)
    problems.push({
      field: field(largest.name),
      message: `the attributes take ${total} bytes as HTTP headers (this one ${largest.bytes}); the limit is ${maxBytes}`,
    });
  return problems;
}
