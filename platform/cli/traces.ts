/**
 * `leveler traces [--limit <n>] [--trace <id>]`: the most recent traces the local functions
 * wrote (the JSON-lines files under the state directory), as indented trees with durations.
 */
import { parseArgs } from "node:util";
import { readPlatformConfig } from "../config.js";
import { localTelemetryPaths } from "../telemetry/local-switch.js";
import { groupTraces, readSpans } from "../telemetry/trace-files.js";
import { formatTrace } from "../telemetry/trace-tree.js";

export function traces(args: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { limit: { type: "string", short: "n", default: "5" }, trace: { type: "string" } },
    }));
  } catch (err) {
    console.error(`leveler traces: ${(err as Error).message}`);
    return 2;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    console.error(
      `leveler traces: --limit must be a whole number ≥ 1, not ${JSON.stringify(values.limit)}`,
    );
    return 2;
  }
  const { tracesDir } = localTelemetryPaths(readPlatformConfig().stateDir);
  const all = groupTraces(readSpans(tracesDir));
  const shown = values.trace ? all.filter((t) => t.traceId === values.trace) : all.slice(0, limit);
  if (shown.length === 0) {
    console.error(
      `leveler traces: no ${values.trace ? `trace ${values.trace}` : "traces"} in ${tracesDir} (is the sampler ratio above 0? \`npx leveler sampling 1\`; spans are written in batches every few seconds)`,
    );
    return 1;
  }
  console.log(shown.map(formatTrace).join("\n\n"));
  return 0;
}
