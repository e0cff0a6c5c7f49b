/**
 * `npm run bench:coldstart`: for each consumer scaled to zero, the time from publishing one event
 * (an HTTP POST to the ingress) to the consumer's reply arriving in the broker, over many cold
 * starts; plus each function's bundle size and one idle replica's resident memory (lib/coldstart.ts,
 * which `npm run bench` runs as a stage too).
 *
 * It drives the platform from outside: starts `dist/platform/main.js` with a short stable window,
 * reads /api/status, posts to the ingress, and watches the replies on the Broker's exchange.
 * Flags: --runs <n> (default 20 per consumer).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPlatformConfig } from "../platform/config.js";
import { coldStartEnv, measureColdStarts } from "./lib/coldstart.js";
import { coldStartTable } from "./lib/coldstart-summary.js";
import { readFlags, wholeNumber } from "./lib/flags.js";
import { startBenchPlatform } from "./lib/local-platform.js";
import { machine } from "./lib/process.js";

const COMMAND = "npm run bench:coldstart";
const values = readFlags(COMMAND, { runs: { type: "string", default: "20" } });
const runs = wholeNumber(COMMAND, "runs", values.runs);
const config = readPlatformConfig();
const ROOT = join(import.meta.dirname, "..", "..");
const logDir = mkdtempSync(join(tmpdir(), "leveler-bench-coldstart-"));
const platform = await startBenchPlatform({
  root: ROOT,
  amqpUrl: config.amqpUrl,
  env: coldStartEnv,
  logFile: join(logDir, "platform.log"),
});
try {
  console.log(
    `machine: ${machine()}; ${runs} cold starts per consumer (stable window 6 s, grace 0 s)\n`,
  );
  const result = await measureColdStarts(platform, join(ROOT, "dist"), runs, () =>
    process.stdout.write("."),
  );
  console.log(`\n\n${coldStartTable(result)}`);
} finally {
  await platform.stop();
  rmSync(logDir, { recursive: true, force: true });
}
