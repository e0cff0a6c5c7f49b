/**
 * A replica's own containerConcurrency bound, where nothing in front of it keeps one: at most
 * `capacity` items run at once, up to `queueDepth` more wait their turn in arrival order, and the
 * rest are turned away. It is the breaker Knative's queue-proxy keeps in every pod
 * (pkg/queue/breaker.go; pkg/queue/sharedmain/main.go sizes its queue at 10 × containerConcurrency
 * and the handler answers 503 "pending request queue full" past it). Only the local platform asks
 * a function for one (CONTAINER_CONCURRENCY), when its replicas share their Service's port and the
 * activator no longer stands in front of them; in a pod the queue-proxy does this.
 */

/** The queue-proxy's queue: ten times containerConcurrency. */
export const QUEUE_DEPTH_FACTOR = 10;

export type Entry = "started" | "queued" | "full";

export class Breaker<T> {
  private running = 0;
  private readonly queue: T[] = [];

  constructor(
    readonly capacity: number,
    readonly queueDepth: number,
    private readonly start: (item: T) => void,
  ) {}

  /** Starts `item` now if there is room, else queues it if the queue has room. */
  enter(item: T): Entry {
    if (this.running < this.capacity) {
      this.running++;
      this.start(item);
      return "started";
    }
    if (this.queue.length >= this.queueDepth) return "full";
    this.queue.push(item);
    return "queued";
  }

  /** A started item is over: the first one waiting starts. */
  leave(): void {
    this.running--;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.running++;
      this.start(next);
    }
  }

  /** A waiting item goes away before its turn (its client left); false if it was not waiting. */
  withdraw(item: T): boolean {
    const i = this.queue.indexOf(item);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }
}
