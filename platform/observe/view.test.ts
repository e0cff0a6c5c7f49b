import { describe, expect, it } from "vitest";
import { renderView } from "./view.js";

describe("observe view", () => {
  it("shows every function's replicas, in-flight requests and queue depth, then scale events", () => {
    const screen = renderView(
      "t",
      [
        { name: "ingress", replicas: 1, ready: 1, desired: 1, inFlight: 3, queueDepth: undefined },
        {
          name: "order",
          replicas: 2,
          ready: 1,
          desired: 2,
          // What replicas holding their port report: an average, shown whole.
          inFlight: 6.6,
          queueDepth: 120,
          delivering: { inFlight: 24, bound: 24 },
        },
      ],
      [
        {
          time: "2026-11-25T10:00:01.000Z",
          function: "order",
          from: 0,
          to: 2,
          reason: "activation",
        },
      ],
      new Date("2026-11-25T10:00:02Z"),
    );
    const lines = screen.split("\n");
    expect(lines.find((l) => l.startsWith("order"))).toMatch(
      /^order\s+2\s+1\s+2\s+7\s+120\s+24\/24$/,
    );
    expect(lines.find((l) => l.startsWith("ingress"))).toMatch(/-$/);
    expect(screen).toMatch(/10:00:01 {2}order +0 → 2 {2}activation/);
  });
});
