/**
 * `npx leveler …` as a user runs it from a shell whose `node` and `npm` are the system's (older
 * than the pinned Node 24): no engine warnings from npm, and the CLI still runs (bin/leveler.mjs
 * runs itself again on the pinned Node). Needs an older Node on PATH outside node_modules; the
 * test says so and is skipped where there is none.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
/** PATH without node_modules/.bin: the shell of someone who just cloned and ran `npm ci`. */
const PATH = (process.env.PATH ?? "")
  .split(":")
  .filter((p) => !p.includes("node_modules"))
  .join(":");
const env = { PATH, HOME: process.env.HOME ?? "/tmp", LANG: "C" };

function systemNodeMajor(): number | undefined {
  try {
    const v = execFileSync("node", ["-p", "process.versions.node"], { env, encoding: "utf8" });
    return Number(v.split(".")[0]);
  } catch {
    return undefined;
  }
}
const major = systemNodeMajor();

describe.skipIf(major === undefined || major >= 24)(`leveler from a system Node ${major}`, () => {
  it("npx leveler prints no EBADENGINE warning and runs", () => {
    // npm checks engines when it first links the project into its npx cache: a fresh cache.
    const cache = mkdtempSync(join(tmpdir(), "leveler-npm-cache-"));
    afterAll(() => rmSync(cache, { recursive: true, force: true }));
    const r = spawnSync("npx", ["leveler", "help"], {
      cwd: ROOT,
      env: { ...env, npm_config_cache: cache },
      encoding: "utf8",
    });
    expect(r.stderr).not.toContain("EBADENGINE");
    expect(r.stdout).toMatch(/^usage: leveler <command>/);
    expect(r.status).toBe(0);
  }, 60_000);

  it("node bin/leveler.mjs runs the CLI on the pinned Node, and passes on the exit code", () => {
    // Every Node process started with this preload says which Node it is, on stderr.
    const dir = mkdtempSync(join(tmpdir(), "leveler-engine-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const preload = join(dir, "which-node.cjs");
    writeFileSync(preload, "process.stderr.write(`node ${process.versions.node}\\n`);\n");
    const r = spawnSync("node", ["bin/leveler.mjs", "send", "com.example.order.created", "{no"], {
      cwd: ROOT,
      env: { ...env, NODE_OPTIONS: `--require ${preload}` },
      encoding: "utf8",
    });
    const lines = r.stderr.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("node ")).map((l) => Number(l.slice(5, 7)))).toEqual([
      major,
      24,
    ]);
    expect(lines.at(-1)).toMatch(/^leveler send: the data is not JSON/);
    expect(r.status).toBe(1);
  }, 60_000);
});
