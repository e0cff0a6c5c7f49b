/**
 * The telemetry switch on one machine: the same `config.yaml` the `config-telemetry` ConfigMap
 * mounts on Knative, kept in the platform's state directory, and a directory of JSON-lines trace
 * files beside it. What every local function and dispatcher is told through its environment.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  parseSamplingSwitch,
  SAMPLING_SWITCH_KEY,
  writeSamplingSwitchFile,
  type SamplingSettings,
} from "../../lib/runtime/sampling-switch.js";
import { ManifestError, type Manifests } from "../manifests.js";

/** The ConfigMap in `knative/` that holds the switch. */
export const TELEMETRY_CONFIGMAP = "config-telemetry";

export interface LocalTelemetryPaths {
  switchFile: string;
  tracesDir: string;
}

export function localTelemetryPaths(stateDir: string): LocalTelemetryPaths {
  return {
    switchFile: join(stateDir, "telemetry", SAMPLING_SWITCH_KEY),
    tracesDir: join(stateDir, "telemetry", "traces"),
  };
}

/** What a process needs to find the switch and the trace directory. */
export function telemetryEnv(paths: LocalTelemetryPaths): Record<string, string> {
  return { LEVELER_TELEMETRY_CONFIG: paths.switchFile, LEVELER_TRACES_DIR: paths.tracesDir };
}

/**
 * Writes the config file from the ConfigMap manifest, as applying the manifests would on a
 * cluster (so each `npm start` begins at the manifest's ratio), and returns the environment for
 * every process. Without the ConfigMap, the ratio is 0: tracing off.
 */
export function prepareLocalTelemetry(
  stateDir: string,
  manifests: Pick<Manifests, "configMaps">,
): Record<string, string> {
  const paths = localTelemetryPaths(stateDir);
  mkdirSync(paths.tracesDir, { recursive: true });
  const text = manifests.configMaps.get(TELEMETRY_CONFIGMAP)?.[SAMPLING_SWITCH_KEY];
  let settings: SamplingSettings = { samplerRatio: 0 };
  try {
    if (text !== undefined) settings = parseSamplingSwitch(text);
  } catch (err) {
    throw new ManifestError(
      `ConfigMap ${TELEMETRY_CONFIGMAP}, ${SAMPLING_SWITCH_KEY}: ${(err as Error).message}`,
    );
  }
  writeSamplingSwitchFile(paths.switchFile, settings);
  return telemetryEnv(paths);
}
