/**
 * Hostile input, property-based: 10,000+ malformed and random requests against the ingress app.
 * Never a 5xx, never a throw, never an event published for a rejected request, and every
 * accepted request published exactly the events it answered with.
 */
import type { CloudEvent } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Sink } from "../../lib/sink.js";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";
import { createIngressApp } from "./app.js";

class CountingSink implements Sink {
  published = 0;
  available = true;
  send(events: readonly CloudEvent<unknown>[]): Promise<void> {
    this.published += events.length;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const TYPES = [
  "com.example.order.created",
  "com.example.payment.requested",
  "com.example.notification.requested",
  "com.example.report.requested",
];

/** encodeURIComponent throws on lone surrogates; a client would send their UTF-8 replacement. */
function safeEncode(s: string): string {
  return encodeURIComponent(s.toWellFormed());
}

/** Any JSON value, including deep nesting and odd strings. */
const json = fc.jsonValue({ maxDepth: 8 });
const nested = fc
  .integer({ min: 50, max: 3000 })
  .map((depth) => "[".repeat(depth) + "]".repeat(depth));
const brokenJson = fc.oneof(
  fc.string(),
  fc.constantFrom("{", "[1,", '{"a":', "nul", "\u0000", "\uFFFF", '{"a":1}}'),
  nested,
);
const oddText = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.constantFrom("\uD800", "\u202E", "%00", "../../etc/passwd"),
);
const attr = fc.oneof(
  fc.constant(undefined),
  oddText,
  fc.constantFrom(...TYPES),
  fc.integer(),
  fc.constant(null),
);

const body = fc.oneof(
  json.map((v) => JSON.stringify(v)),
  brokenJson,
  fc
    .record(
      {
        specversion: fc.oneof(attr, fc.constant("1.0")),
        id: attr,
        source: attr,
        type: attr,
        data: json,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .array(
      fc.record({
        specversion: fc.constant("1.0"),
        id: attr,
        source: attr,
        type: fc.constantFrom(...TYPES),
        data: json,
      }),
      { maxLength: 20 },
    )
    .map((v) => JSON.stringify(v)),
);

const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "text/plain",
    "application/json; charset=utf-16",
    "multipart/form-data; boundary=x",
    "",
  ),
  // Header values on the wire are visible ASCII (a client cannot send more; Headers refuses it).
  oddText.map((s) => s.replace(/[^\x20-\x7e]/g, "")),
);

const request = fc.record({
  path: fc.oneof(
    fc.constant("/events"),
    fc.constantFrom(...TYPES).map((t) => `/events/${t}`),
    oddText.map((s) => `/events/${safeEncode(s)}`),
  ),
  contentType,
  ceHeaders: fc.dictionary(
    fc.constantFrom(
      "ce-specversion",
      "ce-id",
      "ce-source",
      "ce-type",
      "ce-time",
      "ce-Weird_Name",
      "ce-datacontenttype",
    ),
    oddText.map((s) => s.replace(/[^\x20-\x7e]/g, "")),
    { maxKeys: 7 },
  ),
  body,
  method: fc.constantFrom("POST", "POST", "POST", "PUT", "GET"),
});

/** Valid requests, so the property also sees the accepted side. */
const validReport = fc.record({
  reportId: fc.string({ minLength: 1 }),
  period: fc.constantFrom("daily", "weekly", "monthly"),
});
const valid = fc.oneof(
  validReport.map((data) => ({
    path: "/events/com.example.report.requested",
    contentType: "application/json",
    ceHeaders: {},
    body: JSON.stringify(data),
    method: "POST" as const,
  })),
  fc.array(validReport, { minLength: 1, maxLength: 5 }).map((list) => ({
    path: "/events",
    contentType: "application/cloudevents-batch+json",
    ceHeaders: {},
    body: JSON.stringify(
      list.map((data, i) => ({
        specversion: "1.0",
        id: `v-${i}`,
        source: "/fuzz",
        type: "com.example.report.requested",
        data,
      })),
    ),
    method: "POST" as const,
  })),
);

describe("ingress under hostile input", () => {
  it("10,000 random requests: no 5xx, no throw, nothing published when rejected", async () => {
    const sink = new CountingSink();
    const app = createIngressApp({
      sink,
      registry: createEventRegistry(schemas),
      maxEventBytes: 64 * 1024,
      maxBatchBytes: 512 * 1024,
    });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: request, weight: 9 }, { arbitrary: valid, weight: 1 }),
        async (r) => {
          const before = sink.published;
          const init: RequestInit = {
            method: r.method,
            headers: {
              ...(r.contentType ? { "content-type": r.contentType } : {}),
              ...r.ceHeaders,
            },
          };
          if (r.method !== "GET") init.body = r.body;
          const response = await app.request(r.path, init);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status).toBeLessThan(500);
          const text = await response.text();
          if (response.status === 202) {
            const answer = JSON.parse(text) as { id?: string; ids?: string[] };
            expect(sink.published - before).toBe(answer.ids ? answer.ids.length : 1);
          } else {
            expect(sink.published).toBe(before);
            if (r.method === "POST")
              expect(response.headers.get("content-type")).toBe("application/problem+json");
          }
        },
      ),
      { numRuns: 10_000 },
    );
    // The generators must actually reach both sides: some accepted, many refused.
    expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(2);
  }, 120_000);

  it("a body far over the limit is refused with 413 after reading little more than the limit", async () => {
    const sink = new CountingSink();
    const app = createIngressApp({
      sink,
      registry: createEventRegistry(schemas),
      maxEventBytes: 1024,
    });
    // 8 MiB offered as a stream without Content-Length (as chunked uploads come), counting what
    // the ingress pulls from it: refused as it reads, the ingress stops a chunk or two past its
    // limit (1 KiB of data + 16 KiB of envelope); buffering first, it would pull all 8 MiB.
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    for (const [path, type] of [
      [`/events/${TYPES[0]}`, "application/json"],
      ["/events", "application/cloudevents+json"],
      ["/events", "application/cloudevents-batch+json"],
    ] as const) {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= 8 * 1024 * 1024) return controller.close();
          pulled += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const response = await app.request(path, {
        method: "POST",
        headers: { "content-type": type },
        body,
        duplex: "half",
      });
      expect(response.status, type).toBe(413);
      // A batch may hold 4 MiB: refused a chunk or two past that, still not all 8.
      const limit = type.endsWith("batch+json") ? 4 * 1024 * 1024 : 17 * 1024;
      expect(pulled, type).toBeLessThanOrEqual(limit + 3 * chunk.length);
    }
    expect(sink.published).toBe(0);
  });
});
