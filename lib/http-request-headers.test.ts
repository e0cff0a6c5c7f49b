/**
 * requestHeaders must make, from Node's raw headers, the record that iterating the request's
 * fetch `Headers` makes: what the consumer read before, and what the cloudevents SDK is given.
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import fc from "fast-check";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRawHeaders, requestHeaders } from "./http-request-headers.js";

/** The record the consumer used to build: a fetch Headers' forEach. */
function viaHeaders(raw: readonly string[]): Record<string, string> {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const record: Record<string, string> = {};
  headers.forEach((value, name) => (record[name] = value));
  return record;
}

describe("fromRawHeaders", () => {
  it("agrees with fetch Headers: case, repeats, cookie, set-cookie, surrounding whitespace", () => {
    const name = fc.constantFrom(
      "ce-id",
      "CE-Type",
      "ce-traceparent",
      "Content-Type",
      "cookie",
      "Cookie",
      "set-cookie",
      "x-a",
      "X-A",
      "accept",
    );
    const value = fc.stringMatching(/^[ \t]{0,2}[!-~]{0,6}( [!-~]{1,4})?[ \t]{0,2}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 10 }), (pairs) => {
        const raw = pairs.flat();
        expect(fromRawHeaders(raw)).toEqual(viaHeaders(raw));
      }),
      { numRuns: 500 },
    );
  });
});

describe("requestHeaders on @hono/node-server", () => {
  let seen:
    { ours: Record<string, string>; fetch: Record<string, string>; raw: boolean } | undefined;
  const app = new Hono().post("/", (c) => {
    const ours = requestHeaders(c);
    const fetch: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => (fetch[name] = value));
    // The node server hands Node's request to the app: the raw-headers path is the one taken.
    seen = {
      ours,
      fetch,
      raw: Array.isArray((c.env as { incoming?: { rawHeaders?: unknown } }).incoming?.rawHeaders),
    };
    return c.text("ok");
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads Node's raw headers into the record the request's Headers would give", async () => {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/",
          // An array keeps repeated headers apart on the wire (and gets no Host of its own).
          headers: [
            "Host",
            `127.0.0.1:${port}`,
            "CE-Id",
            "e-1",
            "ce-source",
            "/test",
            "X-Repeated",
            "a",
            "x-repeated",
            "b",
            "Cookie",
            "k=1",
            "cookie",
            "j=2",
            "Content-Type",
            "application/json",
          ],
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(seen!.raw).toBe(true);
    expect(seen!.ours).toEqual(seen!.fetch);
    expect(seen!.ours).toMatchObject({
      "ce-id": "e-1",
      "x-repeated": "a, b",
      cookie: "k=1; j=2",
    });
  });
});
