/**
 * Vitest global setup of the integration and fault tests: they run the bundles in dist/, not the
 * sources, so a run after a source edit would otherwise test the old code. Builds dist/
 * (node build.mjs) unless it was built by this setup after the newest change to anything bundled;
 * Vitest calls it only when a test of the project runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const STAMP = join(ROOT, "dist", ".built-by-test-setup");
const BUNDLED = ["functions", "lib", "platform", "bench", "bin"];
const INPUTS = ["build.mjs", "package.json", "package-lock.json", "tsconfig.json"];

/** The newest modification time among the build's inputs, in ms. */
function newestInput(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory())
      for (const entry of readdirSync(path)) {
        if (entry !== "node_modules") visit(join(path, entry));
      }
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of [...BUNDLED, ...INPUTS]) {
    const path = join(ROOT, entry);
    if (existsSync(path)) visit(path);
  }
  return newest;
}

export function setup(): void {
  const started = Date.now();
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestInput()) return;
  const build = spawnSync(process.execPath, ["build.mjs"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (build.status !== 0)
    throw new Error(
      `node build.mjs failed (exit ${build.status ?? build.signal}): dist/ not built`,
    );
  // Stamped with the time the build started: an edit made during the build counts as newer.
  writeFileSync(STAMP, "");
  utimesSync(STAMP, new Date(started), new Date(started));
}
