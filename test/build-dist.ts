/**
 * Vitest global setup of the integration and fault tests: builds dist/ (node build.mjs) before
 * any test starts, because those tests run the bundles, not the sources; a run after a source
 * edit would otherwise test the old code. Vitest calls it only when a test of the project runs.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export function setup(): void {
  const root = join(import.meta.dirname, "..");
  const build = spawnSync(process.execPath, ["build.mjs"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (build.status !== 0)
    throw new Error(
      `node build.mjs failed (exit ${build.status ?? build.signal}): dist/ not built`,
    );
}
