/**
 * The id-by-id ledger of a fault scenario: what the client was told was accepted (202), what
 * the consumers' replies say was processed (and how often), what sits in the dead-letter queue.
 * lost = accepted and neither processed nor dead-lettered.
 */
export interface LedgerRow {
  scenario: string;
  accepted: number;
  processed: number;
  deadLettered: number;
  lost: number;
  /** Executions beyond the first (distinct replies for one event): what idempotency prevents. */
  duplicates: number;
  /**
   * Deliveries beyond the first that were answered from the consumer's record (same reply): the
   * larger of what the replies show (the same reply published twice) and what the consumers
   * counted themselves (a redelivery whose first reply never reached the broker shows only there).
   */
  redeliveries: number;
  recoveryMs: number | null;
  /** Longest stretch without a 202 from the fault until the load ended; null where not measured. */
  acceptPauseMs?: number | null;
}

export class Ledger {
  readonly accepted = new Set<string>();
  /** Event id → the distinct reply ids seen for it (one per execution). */
  readonly executions = new Map<string, Set<string>>();
  private deliveries = 0;
  readonly deadLettered = new Set<string>();
  recoveryMs: number | null = null;
  /** Deliveries the consumer replicas answered from their record, by their own count (if read). */
  answeredFromRecord = 0;

  constructor(readonly scenario: string) {}

  private readonly replyTimes: number[] = [];
  private readonly acceptTimes: number[] = [];
  acceptPauseMs: number | null = null;

  /** An event the ingress answered 202 for, and when. */
  accept(id: string, at = Date.now()): void {
    this.accepted.add(id);
    this.acceptTimes.push(at);
  }

  /** Longest stretch without an acceptance between `from` and `to` (the fault, the load's end). */
  acceptPause(from: number, to: number): number {
    return longestGap(this.acceptTimes, from, to);
  }

  /** A reply seen on the broker: the same reply id again is a redelivery answered from the record. */
  reply(eventId: string, replyId: string, at = Date.now()): void {
    const set = this.executions.get(eventId) ?? new Set<string>();
    set.add(replyId);
    this.executions.set(eventId, set);
    this.deliveries++;
    this.replyTimes.push(at);
  }

  /**
   * Time to recover from a fault at `faultAt`: the longest stretch without any processed event
   * from the fault until the work ran out (until the last reply).
   */
  recoveryAfter(faultAt: number): number {
    return longestGap(this.replyTimes, faultAt, undefined);
  }

  get lost(): string[] {
    return [...this.accepted].filter(
      (id) => !this.executions.has(id) && !this.deadLettered.has(id),
    );
  }

  get settled(): number {
    return [...this.accepted].filter((id) => this.executions.has(id) || this.deadLettered.has(id))
      .length;
  }

  row(): LedgerRow {
    return {
      scenario: this.scenario,
      accepted: this.accepted.size,
      processed: [...this.accepted].filter((id) => this.executions.has(id)).length,
      deadLettered: this.deadLettered.size,
      lost: this.lost.length,
      duplicates: [...this.executions.values()].reduce(
        (sum, set) => sum + Math.max(0, set.size - 1),
        0,
      ),
      redeliveries: Math.max(
        this.answeredFromRecord,
        this.deliveries - [...this.executions.values()].reduce((sum, set) => sum + set.size, 0),
      ),
      recoveryMs: this.recoveryMs,
      acceptPauseMs: this.acceptPauseMs,
    };
  }
}

/** The longest gap between `from`, the times in [from, to] and `to` (or the last time). */
function longestGap(times: readonly number[], from: number, to: number | undefined): number {
  const inside = times
    .filter((t) => t >= from && (to === undefined || t <= to))
    .sort((a, b) => a - b);
  let longest = 0;
  let previous = from;
  for (const t of [...inside, ...(to === undefined ? [] : [to])]) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest;
}

export function renderTable(rows: readonly LedgerRow[]): string {
  const header = [
    "scenario",
    "accepted",
    "processed",
    "dead-lettered",
    "lost",
    "duplicates",
    "redeliveries",
    "longest recovery",
    "longest accept pause",
  ];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.accepted),
    String(r.processed),
    String(r.deadLettered),
    String(r.lost),
    String(r.duplicates),
    String(r.redeliveries),
    seconds(r.recoveryMs),
    seconds(r.acceptPauseMs ?? null),
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    fmt(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...lines.map(fmt),
  ].join("\n");
}

function seconds(ms: number | null): string {
  return ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`;
}
