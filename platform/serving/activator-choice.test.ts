import { describe, expect, it } from "vitest";
import { chooseRoute, type Choice, type ChoiceInput } from "./activator-choice.js";

const base: ChoiceInput = {
  service: "order",
  activatorInPath: true,
  replicas: [],
  containerConcurrency: 2,
  waiting: 0,
  held: false,
  waitedMs: 0,
  maxWaiting: 3,
  holdTimeoutMs: 1000,
  cursor: 0,
};

const r = (...inFlight: number[]) => inFlight.map((n, i) => ({ id: `r${i}`, inFlight: n }));
const forward = (replica: string, cursor = 0): Choice => ({ action: "forward", replica, cursor });
const hold: Choice = { action: "hold" };
const reject = (reason: RegExp) => ({
  action: "reject",
  status: 503,
  retryAfterSeconds: 1,
  reason: expect.stringMatching(reason) as string,
});

describe("the activator's choice", () => {
  it.each<[string, Partial<ChoiceInput>, Choice | ReturnType<typeof reject>]>([
    // In the path (Knative's proxy mode).
    ["in the path: the least busy replica with room", { replicas: r(1, 0, 1) }, forward("r1")],
    [
      "in the path: replicas at containerConcurrency are skipped",
      { replicas: r(2, 1) },
      forward("r1"),
    ],
    [
      "in the path: no limit with containerConcurrency 0",
      { replicas: r(9), containerConcurrency: 0 },
      forward("r0"),
    ],
    ["in the path: all full, the request waits", { replicas: r(2, 2) }, hold],
    ["at zero: the request waits for a replica", {}, hold],
    [
      "at zero: past ACTIVATOR_MAX_WAITING, 503",
      { waiting: 3 },
      reject(/^3 requests already wait for order$/),
    ],
    ["a new request does not overtake the waiting ones", { replicas: r(0), waiting: 1 }, hold],
    [
      "a waiting request goes first when room frees",
      { replicas: r(0), waiting: 1, held: true, waitedMs: 10 },
      forward("r0"),
    ],
    [
      "a waiting request is not refused for the count",
      { waiting: 3, held: true, waitedMs: 10 },
      hold,
    ],
    [
      "held past the timeout at zero: 503",
      { held: true, waitedMs: 1000 },
      reject(/^no replica of order became ready within 1000 ms$/),
    ],
    [
      "held past the timeout, replicas full: 503",
      { replicas: r(2), held: true, waitedMs: 1000 },
      reject(/^no replica of order had room within 1000 ms$/),
    ],
    // Out of the path (serve mode): replicas in turn, the queue-proxy's bounds.
    [
      "out of the path: replicas in turn from the cursor",
      { activatorInPath: false, replicas: r(1, 1, 0), cursor: 1 },
      forward("r1", 2),
    ],
    [
      "out of the path: the turn wraps around",
      { activatorInPath: false, replicas: r(0, 0), cursor: 2 },
      forward("r0", 1),
    ],
    [
      "out of the path: a full replica is passed over",
      { activatorInPath: false, replicas: r(2, 1), cursor: 0 },
      forward("r1", 2),
    ],
    [
      "out of the path: all full, it waits as in the queue-proxy",
      { activatorInPath: false, replicas: r(2, 2), waiting: 39 },
      hold,
    ],
    [
      "out of the path: queue-proxy queues full (10 × cc per replica), 503",
      { activatorInPath: false, replicas: r(2, 2), waiting: 40 },
      reject(/^order: pending request queue full \(40 waiting at its replicas\)$/),
    ],
    [
      "out of the path with no ready replica: back to the activator",
      { activatorInPath: false, waiting: 3 },
      reject(/^3 requests already wait for order$/),
    ],
  ])("%s", (_label, over, want) => {
    expect(chooseRoute({ ...base, ...over })).toEqual(want);
  });
});
