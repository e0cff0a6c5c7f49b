import { describe, expect, it } from "vitest";
import { backoffMs, isRetryable } from "./retry-policy.js";

describe("Knative delivery retry policy", () => {
  it("retries what Knative retries and nothing else", () => {
    for (const status of [undefined, 404, 408, 409, 429, 500, 502, 503, 504])
      expect(isRetryable(status)).toBe(true);
    for (const status of [200, 202, 301, 400, 401, 403, 410, 413, 422])
      expect(isRetryable(status)).toBe(false);
  });

  it("linear and exponential backoff", () => {
    const base = { retry: 5, backoffDelayMs: 100, timeoutMs: 1000 };
    expect([1, 2, 3, 4].map((n) => backoffMs({ ...base, backoffPolicy: "linear" }, n))).toEqual([
      100, 200, 300, 400,
    ]);
    expect(
      [1, 2, 3, 4].map((n) => backoffMs({ ...base, backoffPolicy: "exponential" }, n)),
    ).toEqual([100, 200, 400, 800]);
  });
});
