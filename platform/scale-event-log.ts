/**
 * The recent scale decisions of one side of the platform (serving's KPA, eventing's KEDA and
 * HPA): kept, newest last and at most `keep` of them, for `GET /api/scale-events` and the
 * dashboard, and each logged as one line unless LEVELER_LOG_SCALE=false.
 */
export interface ScaleDecisionRecord {
  /** The Service, or the `<trigger>-dispatcher` Deployment. */
  function: string;
  from: number;
  to: number;
  reason: string;
}

/** Scale decisions kept for the status API and the dashboard, per side. */
const KEPT = 500;

export class ScaleEventLog<E extends ScaleDecisionRecord> {
  private readonly events: E[] = [];

  constructor(
    /** Undefined: record without logging. */
    private readonly log: ((line: string) => void) | undefined,
    private readonly keep = KEPT,
  ) {}

  add(event: E): void {
    this.events.push(event);
    if (this.events.length > this.keep) this.events.shift();
    this.log?.(`scale ${event.function}: ${event.from} → ${event.to} (${event.reason})`);
  }

  /** Oldest first. */
  recent(): readonly E[] {
    return this.events;
  }
}
