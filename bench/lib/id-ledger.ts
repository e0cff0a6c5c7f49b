/**
 * The id-by-id account of one benchmark cell, compact enough for a million events: event ids are
 * `<prefix><n>` with n a dense index, so each event costs a few bytes in typed arrays rather than
 * a string in a Set. Per event: what the client was told (202 or not), how many deliveries the
 * consumers answered and whether one of them was a second execution (a reply id unlike the first).
 *
 * lost = answered 202 and never processed (nor dead-lettered); duplicates = executed more than
 * once (what idempotency must prevent); redeliveries = deliveries answered from the consumer's
 * record with the same reply (harmless).
 */

const SENT = 1;
const ACCEPTED = 2;
const REFUSED = 3;
const DEAD_LETTERED = 4;

export interface LedgerCounts {
  sent: number;
  accepted: number;
  refused: number;
  /** Sent without an answer (connection error, timeout). */
  unanswered: number;
  processed: number;
  deadLettered: number;
  lost: number;
  duplicates: number;
  redeliveries: number;
  /** Replies for ids never sent in this cell (another cell's, or a stray). */
  foreign: number;
}

export class IdLedger {
  private readonly state: Uint8Array;
  /** Deliveries answered per event, saturating at 255. */
  private readonly deliveries: Uint8Array;
  /** 32-bit hash of the first reply id per event; another hash means another execution. */
  private readonly firstReply: Uint32Array;
  private readonly executions: Uint8Array;
  private processedCount = 0;
  private acceptedCount = 0;
  private foreign = 0;
  private lastProcessed: number | undefined;
  private acceptedProcessedCount = 0;

  constructor(
    readonly prefix: string,
    readonly size: number,
  ) {
    this.state = new Uint8Array(size);
    this.deliveries = new Uint8Array(size);
    this.firstReply = new Uint32Array(size);
    this.executions = new Uint8Array(size);
  }

  id(n: number): string {
    return this.prefix + n;
  }

  /** The index of an id of this ledger, or -1. */
  index(id: string): number {
    if (!id.startsWith(this.prefix)) return -1;
    const n = Number(id.slice(this.prefix.length));
    return Number.isInteger(n) && n >= 0 && n < this.size ? n : -1;
  }

  sent(n: number): void {
    if (this.state[n] === 0) this.state[n] = SENT;
  }

  answered(n: number, status: number): void {
    if (status === 202) {
      if (this.state[n] !== ACCEPTED && this.state[n] !== DEAD_LETTERED) {
        this.acceptedCount++;
        // Its reply came before the answer was read.
        if (this.deliveries[n]! > 0) this.acceptedProcessedCount++;
      }
      this.state[n] = ACCEPTED;
    } else if (this.state[n] !== ACCEPTED) this.state[n] = REFUSED;
  }

  /** A consumer's reply for event `eventId`, carrying its own id `replyId`. */
  reply(eventId: string, replyId: string): void {
    const n = this.index(eventId);
    if (n < 0) {
      this.foreign++;
      return;
    }
    this.replyAt(n, replyId);
  }

  /** A reply for event n, whatever its id (plain-JSON POSTs: the ingress named the event). */
  replyAt(n: number, replyId: string): void {
    if (!(n >= 0 && n < this.size)) return;
    const hash = fnv1a(replyId) || 1;
    if (this.deliveries[n] === 0) {
      this.firstReply[n] = hash;
      this.executions[n] = 1;
      this.processedCount++;
      if (this.state[n] === ACCEPTED) this.acceptedProcessedCount++;
      this.lastProcessed = performance.now();
    } else if (this.firstReply[n] !== hash && this.executions[n]! < 255) {
      this.executions[n]!++;
    }
    if (this.deliveries[n]! < 255) this.deliveries[n]!++;
  }

  deadLettered(eventId: string): void {
    const n = this.index(eventId);
    if (n >= 0 && this.state[n] === ACCEPTED) this.state[n] = DEAD_LETTERED;
  }

  /** Events with a reply, whatever the client was told. */
  get processed(): number {
    return this.processedCount;
  }

  /**
   * Accepted (202) events with a reply: compare with `accepted` to know when the cell has drained.
   * `processed` also counts events the client never saw accepted (its request timed out after the
   * ingress had published it), so it can reach `accepted` while accepted events still wait.
   */
  get acceptedProcessed(): number {
    return this.acceptedProcessedCount;
  }

  /** When the last event processed for the first time was seen (performance.now()). */
  get lastProcessedAt(): number | undefined {
    return this.lastProcessed;
  }

  get accepted(): number {
    return this.acceptedCount;
  }

  counts(): LedgerCounts {
    const c: LedgerCounts = {
      sent: 0,
      accepted: 0,
      refused: 0,
      unanswered: 0,
      processed: 0,
      deadLettered: 0,
      lost: 0,
      duplicates: 0,
      redeliveries: 0,
      foreign: this.foreign,
    };
    for (let n = 0; n < this.size; n++) {
      const state = this.state[n]!;
      if (state === 0) continue;
      c.sent++;
      const replied = this.deliveries[n]! > 0;
      if (state === SENT) c.unanswered++;
      else if (state === REFUSED) c.refused++;
      else {
        c.accepted++;
        if (state === DEAD_LETTERED) c.deadLettered++;
        if (replied) c.processed++;
        else if (state !== DEAD_LETTERED) c.lost++;
      }
      if (replied) {
        c.duplicates += this.executions[n]! - 1;
        c.redeliveries += this.deliveries[n]! - this.executions[n]!;
      }
    }
    return c;
  }

  /** Up to `limit` lost ids, to name in the report. */
  lostIds(limit = 10): string[] {
    const out: string[] = [];
    for (let n = 0; n < this.size && out.length < limit; n++)
      if (this.state[n] === ACCEPTED && this.deliveries[n] === 0) out.push(this.id(n));
    return out;
  }
}

/** FNV-1a, 32 bits: enough to tell two reply ids of one event apart. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
