import { describe, expect, it } from "vitest";
import {
  KNATIVE_ERROR_BODY_BYTES,
  KNATIVE_ERROR_DATA_MAX_LENGTH,
  knativeErrorExtensions,
} from "./error-extensions.js";

const dest = "http://order.default.svc.cluster.local/";

describe("dead-letter error extensions", () => {
  it("the status as an integer, the body as base64", () => {
    expect(knativeErrorExtensions(dest, 503, Buffer.from("busy"))).toEqual({
      knativeerrordest: dest,
      knativeerrorcode: 503,
      knativeerrordata: Buffer.from("busy").toString("base64"),
    });
  });

  it("no answer: code -1 and no data (eventing-rabbitmq's getStatus without an HTTP result)", () => {
    expect(knativeErrorExtensions(dest, undefined, Buffer.from("ECONNREFUSED"))).toEqual({
      knativeerrordest: dest,
      knativeerrorcode: -1,
    });
  });

  it("an empty body: no data", () => {
    expect(knativeErrorExtensions(dest, 500, Buffer.alloc(0))).not.toHaveProperty(
      "knativeerrordata",
    );
  });

  // knative/eventing pkg/kncloudevents/event_dispatcher.go (dispatchExecutionInfoTransformers) at
  // 8cf4c4b673034020f5ecab731fb6a2a7f9350244: base64 of the whole body, cut to 1024 encoded chars.
  it("a long body: its base64 cut to 1024 characters, not the base64 of a cut body", () => {
    const body = Buffer.from("é".repeat(2000)); // 4000 bytes, multi-byte characters
    const data = knativeErrorExtensions(dest, 500, body).knativeerrordata!;
    expect(data).toHaveLength(KNATIVE_ERROR_DATA_MAX_LENGTH);
    expect(data).toBe(body.toString("base64").slice(0, 1024));
    // What deliver keeps of a failed answer's body is exactly enough.
    expect(knativeErrorExtensions(dest, 500, body.subarray(0, KNATIVE_ERROR_BODY_BYTES))).toEqual(
      knativeErrorExtensions(dest, 500, body),
    );
  });
});
