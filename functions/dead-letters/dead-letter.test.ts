import { CloudEvent, HTTP } from "cloudevents";
import { describe, expect, it } from "vitest";
import {
  decodeErrorData,
  describeDeadLetter,
  matches,
  withoutErrorExtensions,
} from "./dead-letter.js";

const failed = new CloudEvent<unknown>(
  {
    id: "e-1",
    source: "/shop",
    type: "com.example.order.created",
    datacontenttype: "application/json",
    data: { orderId: "o-1" },
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    knativeerrordest: "http://order.leveler.svc.cluster.local/",
    knativeerrorcode: "400",
    knativeerrordata: Buffer.from("poison: data.items is required").toString("base64"),
  },
  false,
);

describe("dead letters as operators see them", () => {
  it("shows the event with its error extensions, the data decoded", () => {
    expect(describeDeadLetter("q", failed)).toEqual({
      queue: "q",
      id: "e-1",
      type: "com.example.order.created",
      source: "/shop",
      time: failed.time,
      errorDestination: "http://order.leveler.svc.cluster.local/",
      errorCode: "400",
      errorData: "poison: data.items is required",
      data: { orderId: "o-1" },
    });
  });

  it("keeps error data that is not base64 text as it came", () => {
    expect(decodeErrorData("not base64!")).toBe("not base64!");
    const binary = Buffer.from([0xff, 0xfe, 0x00]).toString("base64");
    expect(decodeErrorData(binary)).toBe(binary);
    expect(decodeErrorData(null)).toBeNull();
  });

  it("shows bytes as text when they are UTF-8, else as base64", () => {
    const bytes = (data: Buffer) =>
      describeDeadLetter(
        "q",
        new CloudEvent<unknown>(
          { id: "b", source: "/s", type: "t", datacontenttype: "application/octet-stream", data },
          false,
        ),
      ).data;
    expect(bytes(Buffer.from("plain"))).toBe("plain");
    expect(bytes(Buffer.from([0xff, 0x00]))).toEqual({ base64: "/wA=" });
  });

  it("replays the event without the error extensions, everything else unchanged", () => {
    const clean = withoutErrorExtensions(failed);
    const headers = HTTP.binary(clean).headers as Record<string, string>;
    expect(Object.keys(headers).filter((h) => h.startsWith("ce-knativeerror"))).toEqual([]);
    expect(headers["ce-id"]).toBe("e-1");
    expect(headers["ce-traceparent"]).toBe(failed.traceparent);
    expect(clean.data).toEqual({ orderId: "o-1" });
  });

  it("filters by type and id", () => {
    expect(matches(failed, {})).toBe(true);
    expect(matches(failed, { type: "com.example.order.created", id: "e-1" })).toBe(true);
    expect(matches(failed, { type: "com.example.order.created", id: "e-2" })).toBe(false);
    expect(matches(failed, { type: "other" })).toBe(false);
  });
});
