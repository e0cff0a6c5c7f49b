/** Time-weighted average of in-flight requests, read (and reset) once per autoscaler tick. */
export class ConcurrencyMeter {
  private inFlight = 0;
  private area = 0;
  private lastChange: number;
  private windowStart: number;

  constructor(now = Date.now()) {
    this.lastChange = now;
    this.windowStart = now;
  }

  get current(): number {
    return this.inFlight;
  }

  change(delta: number, now = Date.now()): void {
    this.area += this.inFlight * (now - this.lastChange);
    this.lastChange = now;
    this.inFlight += delta;
  }

  /** Average since the last call. */
  takeAverage(now = Date.now()): number {
    this.area += this.inFlight * (now - this.lastChange);
    this.lastChange = now;
    const span = now - this.windowStart;
    const avg = span > 0 ? this.area / span : this.inFlight;
    this.area = 0;
    this.windowStart = now;
    return avg;
  }
}
