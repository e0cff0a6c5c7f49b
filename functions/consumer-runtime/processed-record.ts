/**
 * At-least-once delivery means redeliveries; this record makes them harmless. It remembers, for a
 * bounded number of events and a bounded time, the reply each processed event got, and holds the
 * work of an event still in progress, so a duplicate delivery gets the same reply (same reply id)
 * without running the work twice. A CloudEvent is identified by `source` + `id` (CloudEvents
 * spec, "id": unique within the scope of the producer).
 *
 * The record lives in one process. On a cluster, a redelivery can reach another replica of the
 * Service, so exactly-once execution there needs a shared store (Redis `SET key NX PX ttl`, or a
 * unique key in the database the work writes to); locally every consumer's record covers its
 * replicas' own redeliveries.
 */
export interface ProcessedRecordOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

interface Entry<T> {
  value: Promise<T>;
  at: number;
}

export class ProcessedRecord<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly now: () => number;

  constructor(private readonly options: ProcessedRecordOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `work` for a key seen for the first time (or expired), and shares its result with every
   * later call for the same key. A failed run is forgotten, so the next delivery tries again.
   */
  run(
    key: string,
    work: () => Promise<T>,
    keep: (value: T) => boolean = () => true,
  ): { value: Promise<T>; duplicate: boolean } {
    const now = this.now();
    const existing = this.entries.get(key);
    if (existing && now - existing.at < this.options.ttlMs)
      return { value: existing.value, duplicate: true };
    if (existing) this.entries.delete(key);
    const value = work();
    this.entries.set(key, { value, at: now });
    value.then(
      (v) => {
        if (!keep(v)) this.entries.delete(key);
      },
      () => this.entries.delete(key),
    );
    this.evict();
    return { value, duplicate: false };
  }

  private evict(): void {
    // Maps iterate in insertion order: the oldest first.
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && now - entry.at < this.options.ttlMs)
        break;
      this.entries.delete(key);
    }
  }
}
