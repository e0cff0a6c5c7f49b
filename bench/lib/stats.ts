/**
 * The statistics the benchmark reports, kept pure so they are tested on small inputs: medians and
 * spreads of repeated trials, the noise test that decides whether two cells differ, and the
 * coefficient of variation of a rate.
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1). */
export function stddev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** max − min, relative to the median: the run-to-run noise of one cell. */
  relativeRange: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return {
    median: m,
    min,
    max,
    relativeRange: m === 0 ? 0 : (max - min) / Math.abs(m),
    n: values.length,
  };
}

export interface NoiseVerdict {
  /** (b − a) / a of the medians. */
  change: number;
  /** The larger of the two cells' own spreads (max − min), relative to a's median. */
  noise: number;
  /** True only when the medians differ by more than the noise and the trials do not overlap. */
  differs: boolean;
}

/**
 * Does cell `b` differ from cell `a` by more than run-to-run noise? The difference of medians must
 * exceed the larger of the two cells' ranges, and every trial of one must lie beyond every trial
 * of the other. With three trials a side that is the strongest claim the data allow (a rank test
 * on 3 + 3 trials cannot reach p < 0.05), and it is conservative on purpose: the old system's
 * "monitoring paradox" came from single runs.
 */
export function noiseTest(a: readonly number[], b: readonly number[]): NoiseVerdict {
  const sa = spread(a);
  const sb = spread(b);
  const change = (sb.median - sa.median) / sa.median;
  const noise = Math.max(sa.max - sa.min, sb.max - sb.min) / Math.abs(sa.median);
  const separated = sb.min > sa.max || sb.max < sa.min;
  // One trial a side has no noise to measure: nothing can be claimed from it.
  const enough = a.length >= 2 && b.length >= 2;
  return { change, noise, differs: enough && separated && Math.abs(change) > noise };
}

/**
 * Coefficient of variation: standard deviation over mean (0 for a perfectly steady rate). NaN for
 * fewer than two values, which have no variation to measure (one window read as a steady 0 %).
 */
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  return m === 0 ? Number.NaN : stddev(values) / m;
}

/** Sums consecutive groups of `size` values and scales them to a per-group mean: 250 ms rates to 1 s rates. */
export function regroup(values: readonly number[], size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + size <= values.length; i += size)
    out.push(values.slice(i, i + size).reduce((a, b) => a + b, 0) / size);
  return out;
}
