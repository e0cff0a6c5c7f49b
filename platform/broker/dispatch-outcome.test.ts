import { describe, expect, it } from "vitest";
import { decideOutcome, type AttemptFacts, type DispatchOutcome } from "./dispatch-outcome.js";
import type { RetryPolicy } from "./retry-policy.js";

// broker.yaml's delivery: 5 retries from PT0.2S, exponential.
const exp: RetryPolicy = { retry: 5, backoffPolicy: "exponential", backoffDelayMs: 200 };
const lin: RetryPolicy = { retry: 3, backoffPolicy: "linear", backoffDelayMs: 100 };
const none: RetryPolicy = { retry: 0, backoffPolicy: "exponential", backoffDelayMs: 50 };

const facts = (over: Partial<AttemptFacts>): AttemptFacts => ({
  status: 503,
  attempt: 0,
  policy: exp,
  mode: "trigger",
  stopping: false,
  hasDeadLetterTarget: true,
  ...over,
});

describe("a delivery attempt's outcome", () => {
  const table: [name: string, over: Partial<AttemptFacts>, want: DispatchOutcome][] = [
    ["200 is acked", { status: 200 }, { kind: "ack" }],
    ["202 is acked", { status: 202 }, { kind: "ack" }],
    ["204 on the last retry is acked", { status: 204, attempt: 5 }, { kind: "ack" }],
    ["503 on the first attempt: retry 1 after 2 × delay", { status: 503 }, retry(400)],
    ["503 on retry 4: retry 5 after 32 × delay", { status: 503, attempt: 4 }, retry(6400)],
    [
      "503 on retry 5 (the last): dead-letter",
      { status: 503, attempt: 5 },
      { kind: "dead-letter" },
    ],
    ["no answer: retried like a 5xx", { status: undefined, attempt: 2 }, retry(1600)],
    ["no answer after the retries: dead-letter", { status: undefined, attempt: 5 }, dl()],
    ["404 is retried", { status: 404 }, retry(400)],
    ["408 is retried", { status: 408 }, retry(400)],
    ["409 is retried", { status: 409 }, retry(400)],
    ["429 is retried", { status: 429 }, retry(400)],
    // Not retryable means delivered: acked, never dead-lettered (upstream getStatus, below).
    ["400 is acked as delivered", { status: 400 }, { kind: "ack" }],
    ["400 on the last retry is acked", { status: 400, attempt: 5 }, { kind: "ack" }],
    ["410 is acked as delivered", { status: 410 }, { kind: "ack" }],
    ["413 is acked as delivered", { status: 413 }, { kind: "ack" }],
    ["301 is acked as delivered", { status: 301 }, { kind: "ack" }],
    ["400 while stopping is acked", { status: 400, stopping: true }, { kind: "ack" }],
    ["linear: retry 1 after 1 × delay", { status: 500, policy: lin }, retry(100)],
    ["linear: retry 3 after 3 × delay", { status: 500, policy: lin, attempt: 2 }, retry(300)],
    ["linear: after retry 3, dead-letter", { status: 500, policy: lin, attempt: 3 }, dl()],
    ["retry 0: the first failure is final", { status: 503, policy: none }, dl()],
    ["stopping cuts the retries short", { status: 503, stopping: true }, dl()],
    [
      "no dead-letter exchange: acked and dropped",
      { attempt: 5, hasDeadLetterTarget: false },
      discard(),
    ],
    ["no dead-letter exchange, 400", { status: 400, hasDeadLetterTarget: false }, { kind: "ack" }],
    ["no dead-letter exchange, retries left: retry", { hasDeadLetterTarget: false }, retry(400)],
    ["dead-letter sink: 2xx is acked", { mode: "dead-letter", status: 200 }, { kind: "ack" }],
    ["dead-letter sink: 400 is retried too", { mode: "dead-letter", status: 400 }, retry(400)],
    [
      "dead-letter sink: retries beyond `retry`",
      { mode: "dead-letter", attempt: 9 },
      retry(30_000),
    ],
    [
      "dead-letter sink: the wait is capped at 30 s",
      { mode: "dead-letter", attempt: 7 },
      retry(30_000),
    ],
    ["dead-letter sink: below the cap", { mode: "dead-letter", attempt: 6 }, retry(25_600)],
    ["dead-letter sink: stopping requeues", { mode: "dead-letter", stopping: true }, requeue()],
  ];
  it.each(table)("%s", (_name, over, want) => {
    expect(decideOutcome(facts(over))).toEqual(want);
  });

  it("a consumer that always fails is dead-lettered after broker.yaml's schedule: 6 attempts, 12.4 s of waiting", () => {
    let waited = 0;
    let attempts = 0;
    for (let attempt = 0; ; attempt++) {
      attempts++;
      const outcome = decideOutcome(facts({ status: 500, attempt }));
      if (outcome.kind !== "retry") {
        expect(outcome.kind).toBe("dead-letter");
        break;
      }
      waited += outcome.afterMs;
    }
    expect(attempts).toBe(6);
    expect(waited).toBe(12_400);
  });

  // Cases of eventing-rabbitmq pkg/dispatcher/dispatcher_test.go at
  // bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32 (TestDispatcher_dispatch, TestDispatcher_getStatus),
  // as outcomes once the SDK's retries have run.
  describe("eventing-rabbitmq's dispatcher cases", () => {
    it("valid event (200): acked", () => {
      expect(decideOutcome(facts({ status: 200, policy: none }))).toEqual({ kind: "ack" });
    });
    it("valid event dlq (200, dead-letter dispatcher): acked", () => {
      expect(decideOutcome(facts({ status: 200, mode: "dead-letter" }))).toEqual({ kind: "ack" });
    });
    it("invalid request (500, retries spent): dead-lettered", () => {
      expect(decideOutcome(facts({ status: 500, policy: none }))).toEqual(dl());
    });
    // pkg/dispatcher/dispatcher.go at the same commit: `getStatus` returns
    // (StatusCode, !SelectiveRetry(StatusCode)), and `dispatch` dead-letters only when that flag
    // is false, so a 400 (or any answer knative's SelectiveRetry does not retry) is acked as
    // delivered and never reaches the dead-letter exchange.
    it.each([400, 401, 403, 410, 413, 415, 422, 301, 302])(
      "a %i is acked as delivered, not dead-lettered",
      (status) => {
        expect(decideOutcome(facts({ status }))).toEqual({ kind: "ack" });
        expect(decideOutcome(facts({ status, policy: none }))).toEqual({ kind: "ack" });
      },
    );
    it("invalid retry result (no HTTP answer, code -1): dead-lettered after the retries", () => {
      expect(decideOutcome(facts({ status: undefined, attempt: 0 }))).toEqual(retry(400));
      expect(decideOutcome(facts({ status: undefined, attempt: 5 }))).toEqual(dl());
    });
  });
});

function retry(afterMs: number): DispatchOutcome {
  return { kind: "retry", afterMs };
}
function dl(): DispatchOutcome {
  return { kind: "dead-letter" };
}
function discard(): DispatchOutcome {
  return { kind: "discard" };
}
function requeue(): DispatchOutcome {
  return { kind: "requeue" };
}
