/**
 * One benchmark cell: N events at one sampler ratio, in one load mode, followed until every
 * accepted event is processed (or the wait runs out), with the figures the report needs.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { IdLedger, type LedgerCounts } from "./id-ledger.js";
import { closedLoop, openLoop, type LoadFigures } from "./load.js";
import type { BenchPlatform } from "./local-platform.js";

export interface CellPlan {
  index: number;
  rep: number;
  size: number;
  ratio: number;
  mode: "closed" | "open";
  connections: number;
  /** Open loop only: arrivals per second. */
  rate?: number;
  /** Not reported: warms the JIT, the connections and the consumers. */
  warmup?: boolean;
}

export interface CellResult {
  plan: CellPlan;
  load: LoadFigures;
  /** Accepted (202) over requests sent. */
  successRate: number;
  ledger: LedgerCounts;
  /** From the last answer until every accepted event was processed; null if the wait ran out. */
  drainMs: number | null;
  /** Largest sum of the Triggers' queue depths seen while the cell ran and drained. */
  peakQueueDepth: number;
  deadLetteredByStatus: number;
  lostIds: string[];
}

/** Routes every reply to its cell's ledger by the id's prefix (`c<index>-`), so a late duplicate of an earlier cell still counts. */
export class Ledgers {
  private readonly byPrefix = new Map<string, IdLedger>();

  create(prefix: string, size: number): IdLedger {
    const ledger = new IdLedger(prefix, size);
    this.byPrefix.set(prefix, ledger);
    return ledger;
  }

  get(prefix: string): IdLedger | undefined {
    return this.byPrefix.get(prefix);
  }

  reply = (eventId: string, replyId: string): void => {
    const dash = eventId.indexOf("-");
    this.byPrefix.get(eventId.slice(0, dash + 1))?.reply(eventId, replyId);
  };
}

export async function runCell(
  platform: BenchPlatform,
  ledgers: Ledgers,
  plan: CellPlan,
  onProgress: (answered: number) => void,
): Promise<CellResult> {
  const ledger = ledgers.create(`c${plan.index}-`, plan.size);
  const before = await platform.status();
  const deadLetteredBefore = before.events.deadLettered;
  // The timeline keeps five minutes; a long cell is read as it goes, so its peak is never missed.
  let peakQueueDepth = 0;
  let seenUntil = Date.now();
  const readPeak = async () => {
    for (const s of await platform.timeline(seenUntil).catch(() => [])) {
      peakQueueDepth = Math.max(
        peakQueueDepth,
        Object.values(s.queues).reduce<number>((a, b) => a + (b ?? 0), 0),
      );
      seenUntil = s.t;
    }
  };
  const peakTimer = setInterval(() => void readPeak(), 5_000);
  const spec = {
    url: `${platform.ingressUrl}/events`,
    count: plan.size,
    id: (n: number) => ledger.id(n),
    onSent: (n: number) => ledger.sent(n),
    onAnswer: (n: number, status: number) => ledger.answered(n, status),
    onProgress,
  };
  const load = await (
    plan.mode === "closed"
      ? closedLoop({ ...spec, connections: plan.connections })
      : openLoop({ ...spec, rate: plan.rate! })
  ).finally(() => clearInterval(peakTimer));
  const loadEnded = performance.now();

  // Drained when every accepted event has a reply or sits in a dead-letter queue.
  const waitMs = Math.max(60_000, (ledger.accepted / 200) * 1000);
  let drainMs: number | null = null;
  let deadLettered = 0;
  let lastStatusCheck = 0;
  while (performance.now() - loadEnded < waitMs) {
    if (performance.now() - lastStatusCheck > 1000) {
      lastStatusCheck = performance.now();
      deadLettered = (await platform.status()).events.deadLettered - deadLetteredBefore;
    }
    if (ledger.processed + deadLettered >= ledger.accepted) {
      drainMs = performance.now() - loadEnded;
      break;
    }
    await sleep(25);
  }
  await sleep(300); // a duplicate delivery, if any, would arrive now
  await readPeak();
  return {
    plan,
    load,
    successRate: load.requests ? load.accepted / load.requests : 0,
    ledger: ledger.counts(),
    drainMs,
    peakQueueDepth,
    deadLetteredByStatus: deadLettered,
    lostIds: ledger.lostIds(),
  };
}
