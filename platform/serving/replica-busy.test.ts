import { describe, expect, it } from "vitest";
import { BUSY_TIME_METRIC, busySecondsIn, ReplicaBusy } from "./replica-busy.js";

describe("busySecondsIn", () => {
  it("reads the counter from a Prometheus exposition, its series summed", () => {
    const text = [
      `# HELP ${BUSY_TIME_METRIC} Seconds requests have spent in this server`,
      `# TYPE ${BUSY_TIME_METRIC} counter`,
      `${BUSY_TIME_METRIC}{otel_scope_name="leveler"} 12.5`,
      `${BUSY_TIME_METRIC}_other 99`,
      `leveler_ingress_events_accepted_total 40`,
    ].join("\n");
    expect(busySecondsIn(text)).toBe(12.5);
    expect(busySecondsIn(`${BUSY_TIME_METRIC} 1\n${BUSY_TIME_METRIC}{a="b"} 2\n`)).toBe(3);
  });

  it("is null when the replica does not export it (yet)", () => {
    expect(busySecondsIn("# no metrics yet\n")).toBeNull();
  });
});

describe("ReplicaBusy", () => {
  it("gives each replica's average in flight between its last two readings, summed", () => {
    const busy = new ReplicaBusy();
    busy.record("0", 10, 1_000);
    busy.record("1", 0, 1_000);
    // One reading each: no stretch yet.
    expect(busy.inFlight).toBe(0);
    expect(busy.reports([{ id: "0" }])).toBe(false);
    busy.record("0", 13, 2_000); // 3 s of requests in 1 s: 3 in flight
    busy.record("1", 1, 3_000); // 1 s in 2 s: 0.5
    expect(busy.inFlight).toBeCloseTo(3.5, 9);
    expect(busy.reports([{ id: "0" }, { id: "2" }])).toBe(true);
    expect(busy.reports([{ id: "2" }])).toBe(false);
    busy.record("0", 13, 3_000); // idle since
    expect(busy.inFlight).toBeCloseTo(0.5, 9);
  });

  it("starts a replica over when its counter goes back (a new process), and forgets replicas gone", () => {
    const busy = new ReplicaBusy();
    busy.record("0", 10, 1_000);
    busy.record("0", 12, 2_000);
    busy.record("1", 4, 1_000);
    busy.record("1", 8, 2_000);
    expect(busy.inFlight).toBeCloseTo(6, 9);
    busy.record("0", 1, 3_000);
    expect(busy.inFlight).toBeCloseTo(4, 9);
    busy.keep(new Set(["0"]));
    expect(busy.inFlight).toBe(0);
    busy.record("0", 3, 4_000);
    expect(busy.inFlight).toBeCloseTo(2, 9);
  });
});
