/**
 * The platform's recent history, kept for `windowMs` (5 minutes): ingress accept and refusal
 * rates, each consumer's processing rate, each Trigger's queue depth, each function's replicas.
 * The dashboard streams it, `GET /api/timeline` serves it to benchmarks, and `GET /api/status` is
 * built from its latest reading. A reading scrapes the ingress, asks RabbitMQ for every queue's
 * depth and, every few readings, scrapes every process for its sampler ratio: that costs every
 * process CPU, so it is taken every `intervalMs` (250 ms) only while someone watches (a read of
 * the samples in the last `watchLeaseMs`, as the dashboard's stream and pollers do), else every
 * `idleIntervalMs` (5 s), which keeps the window's shape for whoever opens the dashboard later.
 * The core is pure: it turns cumulative readings into rates; the platform supplies the readings.
 */

import type { SamplerStatus } from "../telemetry/sampler-status.js";
import { total } from "./counts.js";
import type { TimelineSample } from "./timeline-sample.js";

export type { TimelineSample } from "./timeline-sample.js";

/** What the platform reads at one instant: counters are cumulative since it started. */
export interface TimelineReading {
  accepted: number;
  /** The same by event type (for the status document). */
  acceptedByType: Record<string, number>;
  refused: number;
  /** Function name → events its Triggers' dispatchers have had processed (acked), cumulative. */
  processed: Record<string, number>;
  deadLettered: number;
  queues: Record<string, number | null>;
  replicas: Record<string, number>;
  delivering?: Record<string, { inFlight: number; bound: number }>;
  deadLetters: number | null;
  /** Dead-letter queue → messages in it (null: unknown). */
  deadLetterQueues: Record<string, number | null>;
  /** Undefined when not read this time: the last known value is carried forward. */
  sampler?: SamplerStatus;
  brokerConnected: boolean;
}

export interface TimelineOptions {
  /** Between two readings while someone watches. */
  intervalMs?: number;
  /** Between two readings while nobody does. */
  idleIntervalMs?: number;
  /** How long a read of the samples counts as watching. */
  watchLeaseMs?: number;
  windowMs?: number;
  /** How many samples between two sampler-ratio reads (scraping every process is not free). */
  ratioEvery?: number;
  now?: () => number;
}

export class Timeline {
  readonly intervalMs: number;
  readonly idleIntervalMs: number;
  readonly watchLeaseMs: number;
  readonly windowMs: number;
  private readonly ratioEvery: number;
  private readonly now: () => number;
  private readonly samples: TimelineSample[] = [];
  private readonly listeners = new Set<(s: TimelineSample) => void>();
  private last: { t: number; reading: TimelineReading } | undefined;
  private sampler: { t: number; status: SamplerStatus } | undefined;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private watchedUntil = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly read: (withRatio: boolean) => Promise<TimelineReading>,
    options: TimelineOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.idleIntervalMs = Math.max(this.intervalMs, options.idleIntervalMs ?? 5000);
    this.watchLeaseMs = options.watchLeaseMs ?? 5000;
    this.windowMs = options.windowMs ?? 300_000;
    this.ratioEvery = options.ratioEvery ?? 4;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Whether someone read the samples within the lease: readings come at `intervalMs` then. */
  get watched(): boolean {
    return this.now() < this.watchedUntil;
  }

  /** Samples with `t` after the given time, oldest first. Reading them counts as watching. */
  since(t: number): TimelineSample[] {
    this.watch();
    let i = this.samples.length;
    while (i > 0 && this.samples[i - 1]!.t > t) i--;
    return this.samples.slice(i);
  }

  /** Someone looks: readings every `intervalMs` for the lease, starting now if they were idle. */
  watch(): void {
    const wasWatched = this.watched;
    this.watchedUntil = this.now() + this.watchLeaseMs;
    if (!wasWatched && this.running) this.schedule(0);
  }

  subscribe(listener: (s: TimelineSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The latest reading, taken now (and kept as a sample) unless one is at most `maxAgeMs` old,
   * with the sampler status at most `ratioMaxAgeMs` old: what `GET /api/status` reports, so a
   * status read and the timeline never scrape the same processes twice.
   */
  async current(
    maxAgeMs: number,
    ratioMaxAgeMs: number,
  ): Promise<{ reading: TimelineReading; sampler: SamplerStatus | undefined }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const fresh = this.last && now - this.last.t <= maxAgeMs;
      const ratioFresh = this.sampler && now - this.sampler.t <= ratioMaxAgeMs;
      if (fresh && ratioFresh) break;
      await this.tick(!ratioFresh);
    }
    if (!this.last) await this.tick(true);
    if (!this.last) throw new Error("no reading of the platform could be taken");
    return { reading: this.last.reading, sampler: this.sampler?.status };
  }

  /**
   * One reading; while one is under way, callers share it (a slow scrape must not pile up).
   * `withRatio` forces the sampler ratio into it; otherwise every `ratioEvery`-th has it.
   */
  tick(withRatio = false): Promise<void> {
    const ratio = this.count++ % this.ratioEvery === 0 || withRatio;
    this.reading ??= this.read(ratio)
      .then((reading) => void this.record(this.now(), reading))
      .catch(() => {
        // A failed reading leaves a gap; the next one measures over the longer interval.
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick().finally(() => {
        if (this.running) this.schedule(this.watched ? this.intervalMs : this.idleIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Turns a reading into a sample (rates against the previous reading) and keeps it. */
  record(t: number, reading: TimelineReading): TimelineSample | undefined {
    if (reading.sampler !== undefined) this.sampler = { t, status: reading.sampler };
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
      samplerRatio: this.sampler?.status.samplerRatio ?? null,
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
