/**
 * `leveler sampling [<ratio>] [--cluster [--namespace <ns>] [--context <ctx>]]`: shows or sets
 * the trace sampler ratio, the monitoring switch. Locally it rewrites the config file every
 * function watches (they apply it within a second); with --cluster it patches the ConfigMap.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseRatio, parseTelemetryConfig, TelemetryConfigError, writeTelemetryConfigFile } from "../../lib/telemetry-config.js";
import { readPlatformConfig } from "../config.js";
import { ClusterError, patchClusterTelemetry } from "../telemetry/cluster-config.js";
import { localTelemetryPaths } from "../telemetry/local-config.js";

export async function sampling(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      // A negative number is a (bad) ratio to refuse with the ratio's message, not an option.
      args: args.map((a) => (/^-[\d.]/.test(a) ? ` ${a}` : a)),
      allowPositionals: true,
      options: { cluster: { type: "boolean", default: false }, namespace: { type: "string", default: "leveler" }, context: { type: "string" } },
    });
  } catch (err) {
    console.error(`leveler sampling: ${(err as Error).message}`);
    return 2;
  }
  if (parsed.positionals.length > 1) {
    console.error(`leveler sampling: one ratio, not ${parsed.positionals.length} (${parsed.positionals.join(" ")})`);
    return 2;
  }
  const raw = parsed.positionals[0]?.trim();
  const { configFile } = localTelemetryPaths(readPlatformConfig().stateDir);
  if (raw === undefined) return show(configFile);
  let samplerRatio: number;
  try {
    samplerRatio = parseRatio(raw);
  } catch (err) {
    console.error(`leveler sampling: ${(err as Error).message}`);
    return 2;
  }
  if (parsed.values.cluster) {
    try {
      await patchClusterTelemetry({ samplerRatio }, { namespace: parsed.values.namespace, ...(parsed.values.context ? { context: parsed.values.context } : {}) });
    } catch (err) {
      console.error(`leveler sampling: ${err instanceof ClusterError ? err.message : String(err)}`);
      return 1;
    }
    console.log(`sampler ratio ${samplerRatio} set in ConfigMap ${parsed.values.namespace}/config-telemetry; pods apply it when the kubelet refreshes the mount (up to about a minute)`);
    return 0;
  }
  writeTelemetryConfigFile(configFile, { samplerRatio });
  console.log(`sampler ratio ${samplerRatio} written to ${configFile}; running functions apply it within a second (GET /api/status shows telemetry.samplerRatio)`);
  return 0;
}

function show(configFile: string): number {
  try {
    console.log(String(parseTelemetryConfig(readFileSync(configFile, "utf8")).samplerRatio));
    return 0;
  } catch (err) {
    const why = err instanceof TelemetryConfigError ? err.message : "no config file yet (npm start writes it)";
    console.error(`leveler sampling: ${configFile}: ${why}`);
    return 1;
  }
}
