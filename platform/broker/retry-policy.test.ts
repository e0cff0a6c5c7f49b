import { describe, expect, it } from "vitest";
import { backoffMs, isRetryable, type RetryPolicy } from "./retry-policy.js";

// knative/eventing pkg/kncloudevents/retries_test.go (TestSelectiveRetry) at
// 8cf4c4b673034020f5ecab731fb6a2a7f9350244: which answers are retried.
const selectiveRetry: [status: number | undefined, retried: boolean][] = [
  [undefined, true], // "Nil Response": no answer at all
  [-1, true],
  [100, false],
  [102, false],
  [200, false],
  [201, false],
  [202, false],
  [300, false],
  [301, false],
  [400, false],
  [401, false],
  [403, false],
  [404, true],
  [408, true],
  [409, true],
  [410, false],
  [413, false],
  [422, false],
  [429, true],
  [500, true],
  [501, true],
  [502, true],
  [503, true],
  [504, true],
];

describe("Knative delivery retry policy", () => {
  it.each(selectiveRetry)("status %s retried: %s", (status, retried) => {
    expect(isRetryable(status)).toBe(retried);
  });

  // cloudevents/sdk-go v2/context/retry_test.go (TestRetryParams_BackoffFor) at v2.16.1, the SDK
  // version eventing-rabbitmq bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32 builds with; its
  // dispatcher (pkg/dispatcher/dispatcher.go) retries with ContextWithRetries{Linear,Exponential}Backoff.
  const policy = (backoffPolicy: RetryPolicy["backoffPolicy"]): RetryPolicy => ({
    retry: 10,
    backoffPolicy,
    backoffDelayMs: 1000,
  });
  it.each([
    ["linear", 1, 1000],
    ["linear", 5, 5000],
    ["exponential", 1, 2000],
    ["exponential", 5, 32_000],
  ] as const)("%s retry %i waits %i ms", (kind, n, ms) => {
    expect(backoffMs(policy(kind), n)).toBe(ms);
  });

  it("broker.yaml's schedule (5 retries from PT0.2S, exponential) waits 12.4 s in all, as on a cluster", () => {
    const waits = [1, 2, 3, 4, 5].map((n) =>
      backoffMs({ retry: 5, backoffPolicy: "exponential", backoffDelayMs: 200 }, n),
    );
    expect(waits).toEqual([400, 800, 1600, 3200, 6400]);
    expect(waits.reduce((a, b) => a + b)).toBe(12_400);
  });
});
