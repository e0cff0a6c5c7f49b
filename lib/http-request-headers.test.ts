/**
 * fromRawHeaders must make, from Node's raw headers, the record that iterating the request's
 * fetch `Headers` makes: what the consumer read before, and what the cloudevents SDK is given.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRawHeaders } from "./http-request-headers.js";

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

describe("fromRawHeaders on a request off the wire", () => {
  let seen: { ours: Record<string, string>; fetch: Record<string, string> } | undefined;
  const server = createServer((req, res) => {
    seen = { ours: fromRawHeaders(req.rawHeaders), fetch: viaHeaders(req.rawHeaders) };
    res.end("ok");
  });
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
    expect(seen!.ours).toEqual(seen!.fetch);
    expect(seen!.ours).toMatchObject({
      "ce-id": "e-1",
      "x-repeated": "a, b",
      cookie: "k=1; j=2",
    });
  });
});
