/**
 * unvalidatedCloudEvent and unvalidatedClone must make exactly what the cloudevents SDK makes
 * unvalidated (node_modules/cloudevents/dist/event/cloudevent.js: the constructor with
 * `strict = false`, and `cloneWith`): the same properties in the same order with the same values,
 * the SDK's class, frozen; or the same failure.
 */
import { CloudEvent } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toAmqp } from "./cloudevent-amqp.js";
import {
  CONSTRUCTOR_PROPERTIES,
  unvalidatedClone,
  unvalidatedCloudEvent,
} from "./cloudevent-new.js";

/** The event as compared: its own properties, their order, its class, whether it is frozen. */
function look(make: () => CloudEvent<unknown>, ignore: readonly string[] = []): unknown {
  let event: CloudEvent<unknown>;
  try {
    event = make();
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message };
  }
  const own = Object.fromEntries(
    Object.entries(event).map(([k, v]) => [k, ignore.includes(k) ? "(stamped)" : v]),
  );
  return {
    ...own,
    "(keys)": Object.keys(event).join(),
    "(class)": Object.getPrototypeOf(event) === CloudEvent.prototype,
    "(frozen)": Object.isFrozen(event),
  };
}

const text = fc.string({ minLength: 1, maxLength: 10 });
/** Extension names, digits alone included (JavaScript lists those first, on both sides). */
const extensionName = fc
  .stringMatching(/^[a-z0-9]{1,12}$/)
  .filter((n) => !CONSTRUCTOR_PROPERTIES.has(n));
const attributes = fc.record(
  {
    id: text,
    type: text,
    source: text,
    specversion: fc.constantFrom("1.0", "0.3"),
    time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    datacontenttype: fc.constantFrom("application/json", "text/plain", ""),
    subject: text,
    dataschema: text,
    datacontentencoding: fc.constant("base64"),
    data_base64: fc.constantFrom("aGVsbG8=", ""),
    schemaurl: text,
  },
  { requiredKeys: [] },
);
const data = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 2 }),
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
);

describe("unvalidatedCloudEvent", () => {
  it("is `new CloudEvent({ ...attributes, data }, false)` for any attributes and data", () => {
    fc.assert(
      fc.property(
        attributes,
        fc.dictionary(extensionName, fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), {
          maxKeys: 3,
        }),
        data,
        (attrs, extensions, payload) => {
          const all = { ...attrs, ...extensions };
          // Both stamp what is missing (the time, an id) at the moment they run.
          const stamped = [...(attrs.time ? [] : ["time"]), ...(attrs.id ? [] : ["id"])];
          expect(look(() => unvalidatedCloudEvent(all, payload), stamped)).toEqual(
            look(() => new CloudEvent<unknown>({ ...all, data: payload }, false), stamped),
          );
        },
      ),
    );
  });

  it("builds an event of our own without the constructor, which the AMQP mapping reads the same", () => {
    const attrs = {
      id: "e-1",
      source: "/leveler/ingress",
      type: "leveler.order.created",
      datacontenttype: "application/json",
      time: "2026-12-04T18:00:00.000Z",
    };
    const data = { orderId: "o-1", total: 9.5 };
    const ours = unvalidatedCloudEvent(attrs, data);
    const sdk = new CloudEvent<unknown>({ ...attrs, data }, false);
    expect(toAmqp(ours)).toEqual(toAmqp(sdk));
    expect(JSON.stringify(ours)).toBe(JSON.stringify(sdk));
  });
});

describe("unvalidatedClone", () => {
  it("is `event.cloneWith(changes, false)` for any event and changes", () => {
    fc.assert(
      fc.property(
        attributes,
        data,
        fc.dictionary(
          fc.oneof(extensionName, fc.constantFrom("traceparent", "tracestate", "datacontenttype")),
          fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
          { maxKeys: 3 },
        ),
        (attrs, payload, changes) => {
          let event: CloudEvent<unknown>;
          try {
            event = new CloudEvent<unknown>({ ...attrs, data: payload }, false);
          } catch {
            return; // the SDK makes no such event to clone
          }
          expect(look(() => unvalidatedClone(event, changes))).toEqual(
            look(() => event.cloneWith(changes, false)),
          );
        },
      ),
    );
  });

  it("stamps a trace context in place of the event's own, as a traced publish does", () => {
    const event = new CloudEvent<unknown>(
      {
        id: "e-1",
        source: "/s",
        type: "t",
        data: { a: 1 },
        traceparent: "00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01",
      },
      false,
    );
    const stamp = {
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: undefined,
    };
    const stamped = unvalidatedClone(event, stamp);
    expect(stamped.traceparent).toBe(stamp.traceparent);
    expect(Object.keys(stamped)).toEqual(Object.keys(event.cloneWith(stamp, false)));
    expect(event.traceparent).toBe("00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01");
    expect(toAmqp(stamped).properties.headers).toMatchObject({
      traceparent: stamp.traceparent,
      tracestate: "",
    });
  });
});
