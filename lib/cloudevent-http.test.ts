/**
 * fromBinaryHttp must read every message as the cloudevents SDK's `HTTP.toEvent` reads it
 * (node_modules/cloudevents/dist/message/http/index.js, `deserialize` and `parseBinary`): the
 * same event, or the same kind of failure; and leave to the SDK what is not binary mode.
 */
import { CloudEvent, HTTP } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBinaryHttp } from "./cloudevent-http.js";

type Headers = Record<string, string>;

/** What the SDK makes of a message: the event's own properties, or the error's kind. */
function sdk(headers: Headers, body: string): unknown {
  try {
    const event = HTTP.toEvent({ headers, body }) as CloudEvent<unknown>;
    return { ...event };
  } catch (err) {
    return { error: (err as Error).name };
  }
}

function ours(headers: Headers, body: string): unknown {
  try {
    const event = fromBinaryHttp(headers, body);
    return event ? { ...event } : "not binary";
  } catch (err) {
    return { error: (err as Error).name };
  }
}

const order = JSON.stringify({ orderId: "o-1", currency: "EUR", items: [] });
const delivered: Headers = {
  "ce-specversion": "1.0",
  "ce-id": "e-1",
  "ce-source": "/leveler/ingress",
  "ce-type": "com.example.order.created",
  "ce-time": "2026-12-03T08:00:00.000Z",
  "ce-traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  "content-type": "application/json",
  "content-length": String(order.length),
  host: "127.0.0.1:8080",
};

describe("fromBinaryHttp reads binary mode as the cloudevents SDK does", () => {
  it("a delivery as the dispatcher makes it: attributes, extension, JSON data", () => {
    const event = fromBinaryHttp(delivered, order)!;
    expect(event).toBeInstanceOf(CloudEvent);
    expect({ ...event }).toEqual(sdk(delivered, order));
    expect(event.data).toEqual(JSON.parse(order));
    expect(event.traceparent).toBe(delivered["ce-traceparent"]);
  });

  it("leaves structured mode, batches, CloudEvents 0.3 and non-events to the SDK", () => {
    const cases: Headers[] = [
      { "content-type": "application/cloudevents+json" },
      { "content-type": "application/cloudevents-batch+json", "ce-id": "x" },
      { ...delivered, "ce-specversion": "0.3" },
      { "content-type": "application/json" },
    ];
    for (const headers of cases) expect(fromBinaryHttp(headers, "{}")).toBeUndefined();
  });

  it("fails on data declared JSON that is not, as the SDK does", () => {
    expect(ours(delivered, "{nope")).toEqual({ error: "SyntaxError" });
    expect(sdk(delivered, "{nope")).toEqual({ error: "SyntaxError" });
  });

  it("agrees with the SDK on arbitrary binary messages", () => {
    const value = fc.oneof(
      fc.constant(""),
      fc.string({ maxLength: 12 }),
      fc.constantFrom("1.0", "/s", "t", "2026-12-03T08:00:00Z", "x-1"),
    );
    const attribute = fc.constantFrom(
      "ce-type",
      "ce-source",
      "ce-specversion",
      "ce-time",
      "ce-subject",
      "ce-dataschema",
      "ce-traceparent",
      "ce-datacontentencoding",
      "ce-ext1",
      "datacontenttype",
      "x-other",
    );
    const contentType = fc.constantFrom(
      undefined,
      "application/json",
      "application/json; charset=utf-8",
      "application/octet-stream",
      "text/plain",
      "application/vnd.x+json",
    );
    const body = fc.oneof(
      fc.constant(""),
      fc.json({ maxDepth: 2 }),
      fc.string({ maxLength: 8 }),
      fc.constantFrom("abc", "123", '"q"', "[1]", "null"),
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.dictionary(attribute, value, { maxKeys: 8 }),
        contentType,
        body,
        (id, rest, type, data) => {
          // An unreadable time becomes "now" in both: not comparable.
          if (rest["ce-time"] !== undefined && Number.isNaN(Date.parse(rest["ce-time"])))
            delete rest["ce-time"];
          const headers: Headers = { "ce-id": id, ...rest };
          if (type !== undefined) headers["content-type"] = type;
          const version = headers["ce-specversion"] || "1.0";
          if (version !== "1.0") {
            expect(fromBinaryHttp(headers, data)).toBeUndefined();
            return;
          }
          // Without a time both stamp "now", a millisecond apart at times.
          const untimed = (x: unknown) =>
            headers["ce-time"] || typeof x !== "object" || x === null || "error" in x
              ? x
              : { ...x, time: "now" };
          expect(untimed(ours(headers, data))).toEqual(untimed(sdk(headers, data)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
