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
  duplicates: number;
  recoveryMs: number | null;
}

export class Ledger {
  readonly accepted = new Set<string>();
  readonly executions = new Map<string, number>();
  readonly deadLettered = new Set<string>();
  recoveryMs: number | null = null;

  constructor(readonly scenario: string) {}

  private readonly replyTimes: number[] = [];

  reply(eventId: string, at = Date.now()): void {
    this.executions.set(eventId, (this.executions.get(eventId) ?? 0) + 1);
    this.replyTimes.push(at);
  }

  /**
   * Time to recover from a fault at `faultAt`: the longest stretch without any processed event
   * from the fault until the work ran out (until the last reply).
   */
  recoveryAfter(faultAt: number): number {
    const after = this.replyTimes.filter((t) => t >= faultAt).sort((a, b) => a - b);
    let longest = 0;
    let previous = faultAt;
    for (const t of after) {
      longest = Math.max(longest, t - previous);
      previous = t;
    }
    return longest;
  }

  get lost(): string[] {
    return [...this.accepted].filter((id) => !this.executions.has(id) && !this.deadLettered.has(id));
  }

  get settled(): number {
    return [...this.accepted].filter((id) => this.executions.has(id) || this.deadLettered.has(id)).length;
  }

  row(): LedgerRow {
    return {
      scenario: this.scenario,
      accepted: this.accepted.size,
      processed: [...this.accepted].filter((id) => this.executions.has(id)).length,
      deadLettered: this.deadLettered.size,
      lost: this.lost.length,
      duplicates: [...this.executions.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      recoveryMs: this.recoveryMs,
    };
  }
}

export function renderTable(rows: readonly LedgerRow[]): string {
  const header = ["scenario", "accepted", "processed", "dead-lettered", "lost", "duplicates", "longest recovery"];
  const lines = rows.map((r) => [r.scenario, String(r.accepted), String(r.processed), String(r.deadLettered), String(r.lost), String(r.duplicates), r.recoveryMs === null ? "-" : `${(r.recoveryMs / 1000).toFixed(1)} s`]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(fmt)].join("\n");
}
