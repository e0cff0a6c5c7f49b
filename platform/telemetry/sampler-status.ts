/**
 * The ratio the functions actually apply, for `GET /api/status` (`telemetry.samplerRatio`):
 * each process exports it as the gauge `leveler_telemetry_sampler_ratio`.
 */
import { parseCounter } from "../status/metrics-scrape.js";

export const SAMPLER_RATIO_GAUGE = "leveler_telemetry_sampler_ratio";

export interface SamplerStatus {
  /** The ratio every process reports, or null while none answers or they disagree (a change in flight). */
  samplerRatio: number | null;
  /** Each distinct ratio with how many processes apply it. */
  applied: Record<string, number>;
}

/** Reads the gauge from one Prometheus endpoint; undefined if it does not answer. */
export async function scrapeSamplerRatio(metricsUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return undefined;
    const value = parseCounter(await response.text(), SAMPLER_RATIO_GAUGE, "none")[""];
    return value === undefined ? undefined : value;
  } catch {
    return undefined;
  }
}

export async function samplerStatus(metricsUrls: readonly string[]): Promise<SamplerStatus> {
  const ratios = (await Promise.all(metricsUrls.map(scrapeSamplerRatio))).filter(
    (r): r is number => r !== undefined,
  );
  const applied: Record<string, number> = {};
  for (const r of ratios) applied[String(r)] = (applied[String(r)] ?? 0) + 1;
  const distinct = Object.keys(applied);
  return { samplerRatio: distinct.length === 1 ? Number(distinct[0]) : null, applied };
}
