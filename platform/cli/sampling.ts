/**
 * `leveler sampling [<ratio>] [--cluster [--namespace <ns>] [--context <ctx>]]`: shows or sets
 * the trace sampler ratio, the monitoring switch. Locally it rewrites the config file every
 * function watches (they apply it within a second); with --cluster it patches the ConfigMap.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  parseRatio,
  parseSamplingSwitch,
  SamplingSwitchError,
  writeSamplingSwitchFile,
} from "../../lib/runtime/sampling-switch.js";
import { readPlatformConfig } from "../config.js";
import { KubeConfigError } from "../kube-config.js";
import { ClusterError, patchClusterSamplingSwitch } from "../telemetry/cluster-switch.js";
import { localTelemetryPaths } from "../telemetry/local-switch.js";

export async function sampling(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      // A negative number is a (bad) ratio to refuse with the ratio's message, not an option.
      args: args.map((a) => (/^-[\d.]/.test(a) ? ` ${a}` : a)),
      allowPositionals: true,
      options: {
        cluster: { type: "boolean", default: false },
        namespace: { type: "string", default: "leveler" },
        context: { type: "string" },
      },
    });
  } catch (err) {
    console.error(`leveler sampling: ${(err as Error).message}`);
    return 2;
  }
  if (parsed.positionals.length > 1) {
    console.error(
      `leveler sampling: one ratio, not ${parsed.positionals.length} (${parsed.positionals.join(" ")})`,
    );
    return 2;
  }
  const raw = parsed.positionals[0]?.trim();
  const { switchFile } = localTelemetryPaths(readPlatformConfig().stateDir);
  if (raw === undefined) return show(switchFile);
  let samplerRatio: number;
  try {
    samplerRatio = parseRatio(raw);
  } catch (err) {
    console.error(`leveler sampling: ${(err as Error).message}`);
    return 2;
  }
  if (parsed.values.cluster) {
    try {
      await patchClusterSamplingSwitch(
        { samplerRatio },
        {
          namespace: parsed.values.namespace,
          ...(parsed.values.context ? { context: parsed.values.context } : {}),
        },
      );
    } catch (err) {
      const known = err instanceof ClusterError || err instanceof KubeConfigError;
      console.error(`leveler sampling: ${known ? err.message : String(err)}`);
      return 1;
    }
    console.log(
      `sampler ratio ${samplerRatio} set in ConfigMap ${parsed.values.namespace}/config-telemetry; pods apply it when the kubelet refreshes the mount (up to about a minute)`,
    );
    return 0;
  }
  writeSamplingSwitchFile(switchFile, { samplerRatio });
  console.log(
    `sampler ratio ${samplerRatio} written to ${switchFile}; running functions apply it within a second (GET /api/status shows telemetry.samplerRatio)`,
  );
  return 0;
}

function show(switchFile: string): number {
  try {
    console.log(String(parseSamplingSwitch(readFileSync(switchFile, "utf8")).samplerRatio));
    return 0;
  } catch (err) {
    const why =
      err instanceof SamplingSwitchError ? err.message : "no config file yet (npm start writes it)";
    console.error(`leveler sampling: ${switchFile}: ${why}`);
    return 1;
  }
}
