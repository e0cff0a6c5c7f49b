/**
 * The platform's recent history, sampled every `intervalMs` (250 ms by default) and kept for
 * `windowMs` (5 minutes): ingress accept and refusal rates, each consumer's processing rate, each
 * Trigger's queue depth, each function's replicas. The dashboard streams it, `GET /api/timeline`
 * serves it to benchmarks. The core is pure: it turns cumulative readings into rates; the
 * platform supplies the readings.
 */

import { total } from "./counts.js";
import type { TimelineSample } from "./timeline-sample.js";

export type { TimelineSample } from "./timeline-sample.js";

/** What the platform reads at one instant: counters are cumulative since it started. */
export interface TimelineReading {
  accepted: number;
  refused: number;
  /** Function name → events its Triggers' dispatchers have had processed (acked), cumulative. */
  processed: Record<string, number>;
  deadLettered: number;
  queues: Record<string, number | null>;
  replicas: Record<string, number>;
  delivering?: Record<string, { inFlight: number; bound: number }>;
  deadLetters: number | null;
  /** Undefined when not read this time: the last known value is carried forward. */
  samplerRatio?: number | null;
  brokerConnected: boolean;
}

export interface TimelineOptions {
  intervalMs?: number;
  windowMs?: number;
  /** How many samples between two sampler-ratio reads (scraping every process is not free). */
  ratioEvery?: number;
  now?: () => number;
}

export class Timeline {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly ratioEvery: number;
  private readonly now: () => number;
  private readonly samples: TimelineSample[] = [];
  private readonly listeners = new Set<(s: TimelineSample) => void>();
  private last: { t: number; reading: TimelineReading } | undefined;
  private samplerRatio: number | null = null;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly read: (withRatio: boolean) => Promise<TimelineReading>,
    options: TimelineOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.windowMs = options.windowMs ?? 300_000;
    this.ratioEvery = options.ratioEvery ?? 4;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Samples with `t` after the given time, oldest first. */
  since(t: number): TimelineSample[] {
    let i = this.samples.length;
    while (i > 0 && this.samples[i - 1]!.t > t) i--;
    return this.samples.slice(i);
  }

  subscribe(listener: (s: TimelineSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One reading; skipped when the previous one has not finished (a slow scrape must not pile up). */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const reading = await this.read(this.count++ % this.ratioEvery === 0);
      this.record(this.now(), reading);
    } catch {
      // A failed reading leaves a gap; the next one measures over the longer interval.
    } finally {
      this.busy = false;
    }
  }

  /** Turns a reading into a sample (rates against the previous reading) and keeps it. */
  record(t: number, reading: TimelineReading): TimelineSample | undefined {
    if (reading.samplerRatio !== undefined) this.samplerRatio = reading.samplerRatio;
    const previous = this.last;
    this.last = { t, reading };
    if (!previous || t <= previous.t) return undefined;
    const seconds = (t - previous.t) / 1000;
    const consumers: Record<string, number> = {};
    for (const [name, value] of Object.entries(reading.processed))
      consumers[name] = rate(previous.reading.processed[name], value, seconds);
    const sample: TimelineSample = {
      t,
      ingress: {
        accepted: rate(previous.reading.accepted, reading.accepted, seconds),
        refused: rate(previous.reading.refused, reading.refused, seconds),
      },
      consumers,
      queues: reading.queues,
      replicas: reading.replicas,
      ...(reading.delivering ? { delivering: reading.delivering } : {}),
      deadLetters: reading.deadLetters,
      samplerRatio: this.samplerRatio,
      brokerConnected: reading.brokerConnected,
      totals: {
        accepted: reading.accepted,
        refused: reading.refused,
        processed: total(reading.processed),
        deadLettered: reading.deadLettered,
      },
    };
    this.samples.push(sample);
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.t <= t - this.windowMs) drop++;
    if (drop) this.samples.splice(0, drop);
    for (const listener of this.listeners) listener(sample);
    return sample;
  }
}

/** Events per second between two cumulative counts; a count that went back (its process restarted) counts again from zero. */
export function rate(before: number | undefined, after: number, seconds: number): number {
  const from = before === undefined || after < before ? 0 : before;
  return Math.max(0, after - from) / seconds;
}
