/**
 * The sampling switch file: the switch's one source of truth. On Knative it is the `config.yaml`
 * key of the `config-telemetry` ConfigMap, mounted into every Service; locally the same text in
 * the platform's state directory. Functions watch it, `leveler sampling` writes it.
 *
 * ```yaml
 * samplerRatio: 0.01   # share of new traces kept: 0 = off, 1 = every trace
 * ```
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export class SamplingSwitchError extends Error {
  override readonly name = "SamplingSwitchError";
}

export interface SamplingSettings {
  samplerRatio: number;
}

/** The ConfigMap key, and so the file name inside the mounted directory. */
export const SAMPLING_SWITCH_KEY = "config.yaml";

/** A ratio from text: a number from 0 to 1, nothing else (`-1`, `2`, `abc`, `""` are refused). */
export function parseRatio(raw: unknown): number {
  const text =
    typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : undefined;
  // Number("") is 0 and Number("0x1") is 1: only plain decimals are ratios.
  const value =
    text !== undefined && /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new SamplingSwitchError(
      `sampler ratio must be a number from 0 to 1 (0 = off, 1 = every trace), not ${JSON.stringify(raw ?? null)}`,
    );
  }
  return value;
}

/**
 * Reads `samplerRatio` from the file. The file is YAML, but of one known shape, so this reads the
 * top-level `samplerRatio: <value>` line itself (comments and quotes allowed, other keys ignored):
 * a YAML parser would add 115 KB to every function's bundle, and parse time to its cold start.
 */
export function parseSamplingSwitch(text: string): SamplingSettings {
  let value: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const match = /^samplerRatio[ \t]*:(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[1]!.replace(/(^|\s)#.*$/, "").trim();
    value = /^(["'])(.*)\1$/.exec(raw)?.[2] ?? raw;
  }
  if (value === undefined) throw new SamplingSwitchError("samplerRatio is missing");
  return { samplerRatio: parseRatio(value) };
}

export function formatSamplingSwitch(settings: SamplingSettings): string {
  return `# leveler telemetry: samplerRatio is the share of new traces kept (0 = off, 1 = all)\nsamplerRatio: ${settings.samplerRatio}\n`;
}

/**
 * Writes the file so that a watcher never reads half of it: a temporary file in the same
 * directory, then rename(2), which replaces the name in one step.
 */
export function writeSamplingSwitchFile(path: string, settings: SamplingSettings): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, formatSamplingSwitch(settings));
  renameSync(temp, path);
}
