import { describe, expect, it } from "vitest";
import { CpuTally, perEvent, roleOf, type ProcessReading, type Role } from "./cpu-budget.js";

const p = (pid: number, role: Role, ticks: number, childTicks = 0, ppid = 100): ProcessReading => ({
  pid,
  ppid,
  starttime: pid * 10,
  role,
  ticks,
  childTicks,
});

const cpu = (tally: CpuTally, role: string) => tally.budget().roles.find((r) => r.role === role)!;

describe("CpuTally", () => {
  it("counts each process from the first reading to the last, grouped by role", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 50, 0, 1), p(101, "dispatchers", 10), p(102, "dispatchers", 20)]);
    t.add(1000, [
      p(100, "platform", 60, 0, 1),
      p(101, "dispatchers", 30),
      p(102, "dispatchers", 25),
    ]);
    expect(cpu(t, "platform")).toMatchObject({ role: "platform", processes: 1, cpuSeconds: 0.1 });
    expect(cpu(t, "dispatchers")).toMatchObject({
      role: "dispatchers",
      processes: 2,
      cpuSeconds: 0.25,
    });
    expect(cpu(t, "consumers")).toMatchObject({ role: "consumers", processes: 0, cpuSeconds: 0 });
    expect(t.budget().totalCpuSeconds).toBeCloseTo(0.35, 9);
    expect(t.budget().wallSeconds).toBe(1);
  });

  it("counts the machine's context switches from the first reading to the last", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 50, 0, 1)], 1_000);
    t.add(100, [p(100, "platform", 51, 0, 1)], 1_400);
    t.add(200, [p(100, "platform", 52, 0, 1)], 2_250);
    expect(t.budget().contextSwitches).toBe(1_250);
  });

  it("counts each role's switches as read: from the start, or from zero for one born later", () => {
    const t = new CpuTally(100);
    const withSwitches = (r: ProcessReading, switches: number) => ({ ...r, switches });
    t.add(0, [
      withSwitches(p(100, "platform", 50, 0, 1), 1_000),
      withSwitches(p(101, "dispatchers", 1), 500),
    ]);
    // Not read at this reading: the last known count stands.
    t.add(100, [p(100, "platform", 51, 0, 1), p(101, "dispatchers", 2), p(106, "consumers", 3)]);
    t.add(200, [
      withSwitches(p(100, "platform", 52, 0, 1), 1_300),
      withSwitches(p(101, "dispatchers", 3), 650),
      withSwitches(p(106, "consumers", 4), 40),
    ]);
    t.add(300, [p(100, "platform", 53, 0, 1), p(106, "consumers", 5)]);
    expect(cpu(t, "platform").contextSwitches).toBe(300);
    // 101 went after its reading at 200: its switches up to then count.
    expect(cpu(t, "dispatchers").contextSwitches).toBe(150);
    // 106 was born during the stretch: all 40 count.
    expect(cpu(t, "consumers").contextSwitches).toBe(40);
    expect(cpu(t, "RabbitMQ").contextSwitches).toBeNull();
  });

  it("leaves out a process whose switches were never read", () => {
    const t = new CpuTally(100);
    t.add(0, [{ ...p(100, "platform", 50, 0, 1), switches: 10 }]);
    t.add(100, [{ ...p(100, "platform", 50, 0, 1), switches: 12 }, p(107, "consumers", 3)]);
    expect(cpu(t, "consumers").contextSwitches).toBeNull();
    expect(cpu(t, "platform").contextSwitches).toBe(2);
  });

  it("counts each role's read/write calls: from the start, from zero for one born later, to the last reading of one gone", () => {
    const t = new CpuTally(100);
    const io = (r: ProcessReading, ioCalls: number) => ({ ...r, ioCalls });
    t.add(0, [io(p(100, "platform", 50, 0, 1), 9_000), io(p(101, "dispatchers", 1), 700)]);
    t.add(100, [
      io(p(100, "platform", 51, 0, 1), 9_400),
      io(p(101, "dispatchers", 2), 760),
      io(p(106, "consumers", 3), 25),
      // Unreadable (another user's process): it counts in no role's figure.
      p(107, "RabbitMQ", 4),
    ]);
    t.add(200, [io(p(100, "platform", 52, 0, 1), 9_900), io(p(106, "consumers", 4), 60)]);
    expect(cpu(t, "platform").ioCalls).toBe(900);
    expect(cpu(t, "dispatchers").ioCalls).toBe(60);
    expect(cpu(t, "consumers").ioCalls).toBe(60);
    expect(cpu(t, "RabbitMQ").ioCalls).toBeNull();
    expect(cpu(t, "ingress").ioCalls).toBeNull();
  });

  it("has no context switch count when /proc/stat could not be read", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 50, 0, 1)], null);
    t.add(100, [p(100, "platform", 51, 0, 1)], 1_400);
    expect(t.budget().contextSwitches).toBeNull();
  });

  it("counts a process born mid-stretch from zero", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 50, 0, 1)]);
    t.add(100, [p(100, "platform", 50, 0, 1), p(103, "consumers", 7)]);
    t.add(200, [p(100, "platform", 50, 0, 1), p(103, "consumers", 12)]);
    expect(cpu(t, "consumers").cpuSeconds).toBeCloseTo(0.12, 9);
  });

  it("recovers what an exited child spent after its last reading from its parent's child time", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 50, 5, 1), p(104, "consumers", 40)]);
    t.add(100, [p(100, "platform", 50, 5, 1), p(104, "consumers", 70)]);
    // The child exits with 78 ticks in all and is reaped: the parent's child time grows by 78.
    t.add(200, [p(100, "platform", 51, 83, 1)]);
    expect(cpu(t, "consumers").cpuSeconds).toBeCloseTo(0.3, 9); // 70 - 40, as last read
    expect(cpu(t, "exited between samples")).toMatchObject({ processes: 1 });
    expect(cpu(t, "exited between samples").cpuSeconds).toBeCloseTo(0.08, 9); // 78 - 70
    // 1 (platform) + 30 + 8: everything the child spent during the stretch, nothing before it.
    expect(t.budget().totalCpuSeconds).toBeCloseTo(0.39, 9);
  });

  it("counts a child born and gone between two readings through its parent alone", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 50, 0, 1), p(105, "consumers", 1)]);
    t.add(100, [p(100, "platform", 50, 20, 1), p(105, "consumers", 1)]);
    // 105 is alive, so the 20 reaped ticks belong to no child we saw go: not attributable.
    expect(cpu(t, "exited between samples").cpuSeconds).toBe(0);
    t.add(200, [p(100, "platform", 50, 22, 1)]);
    // 105 went with 2 ticks in all (last read at 1): 20 for the unseen child + 1 of 105's tail.
    expect(cpu(t, "exited between samples").cpuSeconds).toBeCloseTo(0.21, 9);
  });

  it("tells a reused pid from the process that had it (start time)", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 0, 0, 1), { ...p(106, "consumers", 500), starttime: 1 }]);
    t.add(100, [p(100, "platform", 0, 500, 1), { ...p(106, "consumers", 3), starttime: 2 }]);
    expect(cpu(t, "consumers")).toMatchObject({ processes: 2 });
    expect(cpu(t, "consumers").cpuSeconds).toBeCloseTo(0.03, 9);
  });

  it("takes every RabbitMQ process together, whatever its parent", () => {
    const t = new CpuTally(100);
    t.add(0, [p(2951, "RabbitMQ", 389, 0, 1), p(2962, "RabbitMQ", 2, 0, 2951)]);
    t.add(100, [p(2951, "RabbitMQ", 489, 0, 1), p(2962, "RabbitMQ", 3, 0, 2951)]);
    expect(cpu(t, "RabbitMQ")).toMatchObject({ processes: 2, cpuSeconds: 1.01 });
  });
});

describe("roleOf", () => {
  const argv = (...a: string[]) => a.join("\0") + "\0";
  it("tells the platform's children apart by the bundle they run", () => {
    const node = "/w/node_modules/node/bin/node";
    expect(roleOf(argv(node, "/w/dist/platform/dispatcher-main.js"), "platform")).toBe(
      "dispatchers",
    );
    expect(roleOf(argv(node, "/w/dist/functions/ingress.js"), "platform")).toBe("ingress");
    expect(roleOf(argv(node, "/w/dist/functions/dead-letters.js"), "platform")).toBe(
      "dead-letter sink",
    );
    expect(roleOf(argv(node, "/w/dist/functions/order.js"), "platform")).toBe("consumers");
    expect(
      roleOf(argv(node, "--enable-source-maps", "/w/dist/functions/report/main.js"), "platform"),
    ).toBe("consumers");
    expect(roleOf(argv(node, "/w/dist/platform/main.js"), "platform")).toBe("platform");
    expect(roleOf(argv("sh", "-c", "something"), "platform")).toBe("platform");
  });

  it("counts a private RabbitMQ node as RabbitMQ, even under the platform", () => {
    expect(roleOf(argv("/usr/lib/erlang/erts-13.1.5/bin/beam.smp", "-W", "w"), "platform")).toBe(
      "RabbitMQ",
    );
    expect(roleOf(argv("erl_child_setup", "1024"), "platform")).toBe("RabbitMQ");
    expect(roleOf(argv("/bin/sh", "x"), "RabbitMQ")).toBe("RabbitMQ");
  });
});

describe("perEvent", () => {
  it("divides each role's CPU by the events processed, in microseconds", () => {
    const t = new CpuTally(100);
    t.add(0, [p(100, "platform", 0, 0, 1), p(101, "ingress", 0)]);
    t.add(1000, [p(100, "platform", 100, 0, 1), p(101, "ingress", 300)]);
    const { rows, totalUsPerEvent } = perEvent(t.budget(), 2000);
    expect(rows.find((r) => r.role === "platform")!.usPerEvent).toBe(500);
    expect(rows.find((r) => r.role === "ingress")!.usPerEvent).toBe(1500);
    expect(totalUsPerEvent).toBe(2000);
    expect(perEvent(t.budget(), 0).totalUsPerEvent).toBeNaN();
  });
});
