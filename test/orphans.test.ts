/**
 * Nothing left behind (issue 12 item 8): a platform killed with SIGKILL takes its replicas and
 * dispatchers with it. The platform runs as `npm start` runs it (`node dist/platform/main.js`),
 * with its own state directory, instance and ports; its processes are found in /proc, as its
 * descendants and by the instance id in their environment.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { startBenchPlatform, type BenchPlatform } from "../bench/lib/local-platform.js";
import { sampleData } from "../functions/events/samples.js";
import { alive, descendants, processesMarked, type ProcessId } from "./processes.js";

const ROOT = join(import.meta.dirname, "..");
const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let platform: BenchPlatform | undefined;
let found: ProcessId[] = [];
afterAll(async () => {
  // Whatever the outcome, leave nothing running on the machine.
  for (const p of alive(found)) process.kill(p.pid, "SIGKILL");
  await platform?.stop();
});

describe("a platform killed with SIGKILL", () => {
  it("leaves no replica and no dispatcher running 5 s later", async () => {
    platform = await startBenchPlatform({
      root: ROOT,
      amqpUrl: AMQP_URL,
      logFile: join(tmpdir(), `leveler-orphans-${process.pid}.log`),
    });
    // One event of each type wakes every consumer from zero.
    const types = (await platform.status()).triggers.map((t) => t.filter.type!);
    for (const type of types) {
      const r = await fetch(`${platform.ingressUrl}/events/${type}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(sampleData(type, "orphans", 1)),
      });
      expect(r.status).toBe(202);
    }
    let expected: number[];
    for (const deadline = Date.now() + 60_000; ;) {
      const status = await platform.status();
      const replicas = status.functions.flatMap((f) => f.processes.map((p) => p.pid));
      const dispatchers = status.triggers.map((t) => t.dispatcher.pid as number | null);
      if (status.functions.every((f) => f.ready > 0) && dispatchers.every((p) => p !== null)) {
        expected = [...replicas, ...dispatchers].filter((p): p is number => p !== null);
        break;
      }
      if (Date.now() > deadline) throw new Error("the functions did not all scale up in 60 s");
      await sleep(200);
    }

    const mine = new Map<number, ProcessId>();
    for (const p of [...descendants(platform.pid), ...processesMarked(platform.instance)])
      if (p.pid !== platform.pid) mine.set(p.pid, p);
    found = [...mine.values()];
    // Every replica and dispatcher the platform reports is among what /proc shows.
    expect(found.map((p) => p.pid)).toEqual(expect.arrayContaining(expected));

    process.kill(platform.pid, "SIGKILL");
    const until = Date.now() + 5_000;
    while (alive(found).length && Date.now() < until) await sleep(100);
    // On failure, say which processes outlived it.
    const cmdline = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      } catch {
        return "(gone)";
      }
    };
    expect(alive(found).map((p) => `${p.pid} ${cmdline(p.pid)}`)).toEqual([]);
  });
});
