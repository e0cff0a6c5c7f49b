import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DispatcherRunner } from "./dispatcher-runner.js";

/**
 * A stand-in dispatcher process: reports what its environment says for each member over IPC, as
 * dispatcher-main.ts does, then waits to be killed. The runner is what is under test: a real
 * forked process, a real IPC channel, a real restart.
 */
const SCRIPT = `
const members = JSON.parse(process.env.REPORTS);
for (const [name, processed] of members)
  process.send({ kind: "stats", name, stats: {
    processed: { t: processed }, deadLettered: {}, replies: processed, retries: 1,
    inFlight: 2, connected: true, replicas: 1, inFlightBound: 8 } });
process.send({ kind: "reported" });
setInterval(() => {}, 1000);
`;

describe("DispatcherRunner", () => {
  let dir: string;
  let runner: DispatcherRunner | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "leveler-runner-"));
    writeFileSync(join(dir, "stand-in.cjs"), SCRIPT);
  });
  afterEach(async () => {
    await runner?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (members: string[] | undefined, reports: [string, number][]) => {
    runner = new DispatcherRunner({
      name: members ? members.join("+") : "order",
      ...(members ? { members } : {}),
      script: join(dir, "stand-in.cjs"),
      env: { PATH: process.env.PATH ?? "", REPORTS: JSON.stringify(reports) },
      logDir: dir,
      log: () => undefined,
    });
    runner.start();
    return runner;
  };

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 500 && !check(); i++) await sleep(10);
    expect(check()).toBe(true);
  };

  it("keeps each member's counters apart, and sums them over a restart", async () => {
    const r = start(
      ["order", "payment"],
      [
        ["order", 5],
        ["payment", 7],
      ],
    );
    expect(r.members).toEqual(["order", "payment"]);
    await until(() => r.totals("payment").replies === 7);
    expect(r.totals("order")).toMatchObject({ processed: { t: 5 }, replies: 5, inFlight: 2 });
    expect(r.totals("payment")).toMatchObject({ processed: { t: 7 }, retries: 1 });
    const first = r.pid!;

    process.kill(first, "SIGKILL");
    await until(() => r.pid !== first && r.totals("order").replies === 10);
    await until(() => r.totals("payment").replies === 14);
    expect(r.totals("order")).toMatchObject({
      processed: { t: 10 },
      retries: 2,
      // What is in flight is the running process's alone.
      inFlight: 2,
      restarts: 1,
    });
    expect(r.totals("payment").processed).toEqual({ t: 14 });
  });

  it("without members, is one dispatcher whose reports carry no name or its own", async () => {
    const r = start(undefined, [["order", 3]]);
    expect(r.members).toEqual(["order"]);
    await until(() => r.totals().replies === 3);
    expect(r.totals("order").replies).toBe(3);
  });
});
