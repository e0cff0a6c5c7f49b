import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTION_NODE_FLAGS, Replica, stampLines } from "./replica.js";

const STAMP = "2026-01-02T03:04:05.678Z";

/** Runs `source` as a replica's bundle until it exits; the path of its log file. */
async function runReplica(source: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "leveler-replica-"));
  const bundle = join(dir, "main.mjs");
  writeFileSync(bundle, source);
  const replica = new Replica({
    service: "fn",
    index: 0,
    bundle,
    port: 0,
    metricsPort: 0,
    env: {},
    readinessPath: "/",
    logDir: dir,
  });
  await replica.exited;
  return join(dir, "fn-0.log");
}

describe("replica log timestamps", () => {
  it("stamps each line once, across chunks that split a line", () => {
    const first = stampLines("a\nb", true, STAMP);
    expect(first).toEqual({ text: `${STAMP} a\n${STAMP} b`, atLineStart: false });
    const second = stampLines("c\n\nd\n", first.atLineStart, "T2");
    expect(second).toEqual({ text: "c\nT2 \nT2 d\n", atLineStart: true });
  });

  it("a replica's stdout and stderr reach its log file with an ISO time on every line", async () => {
    const log = await runReplica(
      'process.stdout.write("out 1\\nout 2\\n"); process.stderr.write("err ü\\n"); process.disconnect();',
    );
    // The log file is written asynchronously: wait until all three lines are there.
    const read = () => readFileSync(log, "utf8").trimEnd().split("\n");
    await expect.poll(() => read().length, { timeout: 10_000 }).toBe(3);
    const lines = read();
    expect(lines.map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, ""))).toEqual(
      expect.arrayContaining(["out 1", "out 2", "err ü"]),
    );
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l))).toBe(true);
  });
});

describe("a replica's Node", () => {
  it("runs with FUNCTION_NODE_FLAGS, and V8 takes them: the young generation starts larger", async () => {
    // new_space's size is what V8 has set aside for the young generation at this moment.
    const log = await runReplica(
      'import v8 from "node:v8"; const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space"); console.log(JSON.stringify({ argv: process.execArgv, newSpace: s.space_size })); process.disconnect();',
    );
    const line = () => readFileSync(log, "utf8").match(/\{.*\}/)?.[0];
    await expect.poll(line, { timeout: 10_000 }).toBeDefined();
    const { argv, newSpace } = JSON.parse(line()!) as { argv: string[]; newSpace: number };
    expect(argv).toEqual([...FUNCTION_NODE_FLAGS]);
    expect(newSpace).toBe(8 * 1024 * 1024);
    // The control: the same Node without the flag starts its young generation smaller.
    const plain = execFileSync(
      process.execPath,
      [
        "-p",
        'require("node:v8").getHeapSpaceStatistics().find((x) => x.space_name === "new_space").space_size',
      ],
      { encoding: "utf8" },
    );
    expect(Number(plain)).toBeLessThan(newSpace);
  });
});
