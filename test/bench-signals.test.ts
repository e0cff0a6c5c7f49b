/**
 * `npm run bench` stopped by SIGTERM or SIGINT stops the platform it started, and so its
 * replicas and dispatchers (issue 12 item 8). The bench's own helper runs in a stand-in process
 * (test/fixtures/bench-platform-main.ts, bundled here as build.mjs bundles the bench).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, descendants, type ProcessId } from "./processes.js";

const ROOT = join(import.meta.dirname, "..");
let dir: string;
let bundle: string;
const leftovers: ProcessId[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leveler-bench-signals-"));
  bundle = join(dir, "bench-platform.js");
  await build({
    entryPoints: [join(import.meta.dirname, "fixtures", "bench-platform-main.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    logLevel: "warning",
    // amqplib is CommonJS and calls require().
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
});
afterAll(() => {
  for (const p of alive(leftovers)) process.kill(p.pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("the bench's platform helper", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("stops the platform and everything it runs on %s", async (signal, code) => {
    const bench = spawn(process.execPath, [bundle], {
      env: { ...process.env, LEVELER_ROOT: ROOT, LOG_FILE: join(dir, `platform-${signal}.log`) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((r) => bench.once("exit", (c) => r(c)));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: bench.stdout }).once("line", resolve);
      bench.once("exit", () => reject(new Error("the stand-in exited before the platform was up")));
    });
    const { pid } = JSON.parse(first) as { pid: number; instance: string };
    const processes = descendants(bench.pid!);
    leftovers.push(...processes);
    // The platform, its ingress replica and its dispatchers at least.
    expect(processes.map((p) => p.pid)).toContain(pid);
    expect(processes.length).toBeGreaterThan(2);

    bench.kill(signal);
    expect(await exited).toBe(code);
    expect(alive(processes).map((p) => p.pid)).toEqual([]);
  });
});
