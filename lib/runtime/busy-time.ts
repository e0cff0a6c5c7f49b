/**
 * The time integral of requests in flight: seconds that requests have spent in the server, those
 * still in flight counted up to now. Between two reads, Δ(total) ÷ Δ(time) is the average number
 * of requests in flight over that stretch, which is the concurrency Knative's autoscaler scales
 * on (its queue-proxy reports the same average from each pod). A counter rather than a gauge:
 * whoever reads it, and however often, gets an exact average for their own stretch.
 *
 * Two additions per request and nothing per moment: a request that starts at t₀ and ends at t₁
 * adds t₁ − t₀, written as −t₀ at its start and +t₁ at its end; the ones in flight add
 * `now × inFlight` when read.
 */
export class BusyTime {
  private inFlight = 0;
  /** Σ(ends) − Σ(starts), milliseconds. */
  private sum = 0;

  start(nowMs: number): void {
    this.inFlight++;
    this.sum -= nowMs;
  }

  end(nowMs: number): void {
    this.inFlight--;
    this.sum += nowMs;
  }

  get active(): number {
    return this.inFlight;
  }

  /** Seconds requests have spent in flight, up to `nowMs`. */
  seconds(nowMs: number): number {
    return (this.sum + this.inFlight * nowMs) / 1000;
  }
}
