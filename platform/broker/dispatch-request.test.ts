import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import {
  AmqpDecodeError,
  fromAmqp,
  toAmqp,
  type ReceivedAmqpMessage,
} from "../../lib/cloudevent-amqp.js";
import { requestFromAmqp, requestFromEvent } from "./dispatch-request.js";

const base = {
  specversion: "1.0",
  id: "e-1",
  source: "/s",
  type: "t",
  time: "2026-01-02T03:04:05Z",
};

/** What a dispatcher sent before: the SDK's event from the message, read back into a request. */
function viaSdk(message: ReceivedAmqpMessage) {
  return requestFromEvent(fromAmqp(message));
}

function fromEvent(attributes: Record<string, unknown>): ReceivedAmqpMessage {
  return toAmqp(new CloudEvent<unknown>(attributes, false));
}

describe("the request a dispatcher POSTs for a message", () => {
  const cases: [string, ReceivedAmqpMessage][] = [
    ["JSON data", fromEvent({ ...base, datacontenttype: "application/json", data: { n: 1 } })],
    ["JSON data without a content type", fromEvent({ ...base, data: { n: 1 } })],
    ["no data", fromEvent({ ...base, datacontenttype: "application/json" })],
    ["text data", fromEvent({ ...base, datacontenttype: "text/plain", data: "héllo" })],
    [
      "bytes",
      fromEvent({
        ...base,
        datacontenttype: "application/octet-stream",
        data: Buffer.from([0, 1]),
      }),
    ],
    [
      "extensions, subject and dataschema",
      fromEvent({
        ...base,
        subject: "sub",
        dataschema: "https://example.com/s",
        count: 7,
        flag: true,
        note: "x",
        data: [1],
      }),
    ],
    [
      "trace context and routing headers",
      {
        ...fromEvent({ ...base, traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` }),
      },
    ],
    [
      "headers as another publisher writes them",
      {
        content: Buffer.from('{"a":1}'),
        properties: {
          contentType: "application/json",
          headers: {
            "ce-specversion": "1.0",
            "ce-id": Buffer.from("e-2"),
            CE_type: "t",
            "ce-source": "/s",
            "ce-time": "2026-01-02T03:04:05Z",
            "x-match": "all",
            "ce-ext": 12,
          },
        },
      },
    ],
    [
      "CloudEvents 0.3",
      {
        content: Buffer.alloc(0),
        properties: { headers: { ...base, specversion: "0.3" } },
      },
    ],
    [
      "JSON null",
      { content: Buffer.from("null"), properties: { headers: { ...base, "content-type": "" } } },
    ],
  ];

  it.each(cases)("%s: the headers and data the SDK's event gave", (_name, message) => {
    const request = requestFromAmqp(message);
    const before = viaSdk(message);
    expect(request.headers).toEqual(before.headers);
    expect(request.id).toBe(before.id);
    expect(request.type).toBe(before.type);
    const json = (request.headers["content-type"] ?? "").includes("json");
    if (json && request.body.length > 0)
      expect(JSON.parse(request.body.toString())).toEqual(JSON.parse(before.body.toString()));
    else expect(request.body).toEqual(before.body);
  });

  it("gives an event without an id one, as the SDK does", () => {
    const request = requestFromAmqp(fromEvent({ ...base, id: "" }));
    expect(request.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(request.headers["ce-id"]).toBe(request.id);
  });

  it("passes a JSON body on as the publisher wrote it", () => {
    const content = Buffer.from('{ "big": 12345678901234567890 }');
    const request = requestFromAmqp({
      content,
      properties: { headers: { ...base, "content-type": "application/json" } },
    });
    expect(request.body).toBe(content);
  });

  it("refuses a message that is not a CloudEvent, as fromAmqp does", () => {
    const noVersion = { content: Buffer.alloc(0), properties: { headers: { id: "e", type: "t" } } };
    expect(() => requestFromAmqp(noVersion)).toThrow(AmqpDecodeError);
    const notJson = {
      content: Buffer.from("{nope"),
      properties: { headers: { ...base, "content-type": "application/json" } },
    };
    expect(() => requestFromAmqp(notJson)).toThrow(AmqpDecodeError);
  });
});
