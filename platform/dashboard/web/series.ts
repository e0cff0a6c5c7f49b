/**
 * The page's data, apart from the DOM: the sliding window of samples, the chart series built from
 * it (uPlot's aligned arrays, x in seconds), the numbers shown now, and their formatting. Pure, so
 * unit tests run it in Node.
 */
import type { WireSample } from "../wire.js";

/** The samples of the last `windowMs`, oldest first. */
export class SampleWindow {
  samples: WireSample[] = [];
  constructor(
    public windowMs: number,
    public intervalMs: number,
  ) {}

  /** A new connection's backlog replaces everything (the platform may have restarted). */
  reset(windowMs: number, intervalMs: number, samples: readonly WireSample[]): void {
    this.windowMs = windowMs;
    this.intervalMs = intervalMs;
    this.samples = [];
    this.append(samples);
  }

  append(samples: readonly WireSample[]): void {
    for (const s of samples) if (!this.latest || s.t > this.latest.t) this.samples.push(s);
    const latest = this.latest;
    if (!latest) return;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.t <= latest.t - this.windowMs) drop++;
    if (drop) this.samples.splice(0, drop);
  }

  get latest(): WireSample | undefined {
    return this.samples.at(-1);
  }

  /** How many samples make about one second (rates are averaged over it). */
  get perSecond(): number {
    return Math.max(1, Math.round(1000 / this.intervalMs));
  }

  /** The x range the charts show, in seconds: `viewMs` (at most the window) ending at the latest sample. */
  xRange(viewMs = this.windowMs): [number, number] {
    const end = (this.latest?.t ?? Date.now()) / 1000;
    return [end - Math.min(viewMs, this.windowMs) / 1000, end];
  }

  /** The samples inside `xRange(viewMs)`, and the one just before it, so lines reach the left edge. */
  visible(viewMs = this.windowMs): WireSample[] {
    const from = this.xRange(viewMs)[0] * 1000;
    let i = this.samples.length;
    while (i > 0 && this.samples[i - 1]!.t > from) i--;
    return this.samples.slice(Math.max(0, i - 1));
  }
}

export type Values = (number | null)[];

/** uPlot's aligned data: x (seconds) first, then one array per named series. */
export interface SeriesSet {
  names: string[];
  data: [number[], ...Values[]];
}

/** Names in any sample of the window, sorted: the chart's series. */
export function namesOf(
  samples: readonly WireSample[],
  pick: (s: WireSample) => Record<string, number | null>,
): string[] {
  const names = new Set<string>();
  for (const s of samples) for (const name of Object.keys(pick(s))) names.add(name);
  return [...names].sort();
}

/**
 * One series per name; a name missing from a sample, or null (unknown: the broker is down), is a
 * gap in the line, not a zero. `smooth` > 1 averages rates over that many samples.
 */
export function seriesOf(
  samples: readonly WireSample[],
  pick: (s: WireSample) => Record<string, number | null>,
  smooth = 1,
): SeriesSet {
  const names = namesOf(samples, pick);
  const xs = samples.map((s) => s.t / 1000);
  const columns = names.map((name) =>
    movingAverage(
      samples.map((s) => pick(s)[name] ?? null),
      smooth,
    ),
  );
  return { names, data: [xs, ...columns] };
}

export function ingressSeries(samples: readonly WireSample[], smooth: number): SeriesSet {
  return seriesOf(
    samples,
    (s) => ({ accepted: s.ingress.accepted, refused: s.ingress.refused }),
    smooth,
  );
}

/**
 * Stacked: each column the running sum of the columns before it and itself (unknown counts as
 * zero), so the top line is the total and each band one name's share.
 */
export function stacked(set: SeriesSet): SeriesSet {
  const [xs, ...columns] = set.data;
  const sums: Values[] = [];
  columns.forEach((column, c) =>
    sums.push(column.map((v, i) => (v ?? 0) + (c > 0 ? (sums[c - 1]![i] ?? 0) : 0))),
  );
  return { names: set.names, data: [xs, ...sums] };
}

/** The mean of the last `n` values (nulls skipped), at each point; null where all are null. */
export function movingAverage(values: Values, n: number): Values {
  if (n <= 1) return values;
  const out: Values = [];
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    let count = 0;
    for (let j = Math.max(0, i - n + 1); j <= i; j++) {
      const v = values[j];
      if (v !== null && v !== undefined) {
        sum += v;
        count++;
      }
    }
    out.push(count ? sum / count : null);
  }
  return out;
}

/** The value now: the last point of each series (for rates, already the 1 s average). */
export function lastValues(set: SeriesSet): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  set.names.forEach((name, i) => (out[name] = set.data[i + 1]!.at(-1) ?? null));
  return out;
}

/** The values at one point of the series (the cursor's). */
export function valuesAt(set: SeriesSet, index: number): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  set.names.forEach((name, i) => (out[name] = set.data[i + 1]![index] ?? null));
  return out;
}

/** Sum of the known values; null when none is known. */
export function total(values: Record<string, number | null>): number | null {
  const known = Object.values(values).filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

const whole = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en", {
  maximumFractionDigits: 1,
  minimumFractionDigits: 1,
});

/** `1,234`, `12.5`, `0.3`; a dash for unknown. */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  return Math.abs(value) < 10 ? oneDecimal.format(value) : whole.format(value);
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return whole.format(value);
}

/** A time before the end of the chart, for the x axis: `now`, `−30 s`, `−2 min`, `−1:30`. */
export function formatAgo(seconds: number): string {
  const s = Math.round(seconds);
  if (s <= 0) return "now";
  if (s < 60) return `−${s} s`;
  if (s % 60 === 0) return `−${s / 60} min`;
  return `−${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Seconds between x ticks: the smallest of 5 s … 2 min that leaves about 70 px per label. */
export function tickStep(spanSeconds: number, widthPx: number): number {
  const most = Math.max(2, Math.floor(widthPx / 70));
  return [5, 10, 15, 30, 60, 120].find((step) => spanSeconds / step <= most) ?? 120;
}

/** The ratio as written in the config file; a dash while unknown (no process answers, or a change in flight). */
export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return String(value);
}
