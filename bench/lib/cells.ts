/**
 * One benchmark cell: N events at one sampler ratio, in one load mode, followed until every
 * accepted event is processed (or the wait runs out), with the figures the report needs.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuBudget } from "./cpu-budget.js";
import { startCpuSampler, type CpuRoot } from "./cpu-sampler.js";
import { IdLedger, type LedgerCounts } from "./id-ledger.js";
import { closedLoop, openLoop, type LoadFigures, type RequestShape } from "./load.js";
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
  /** Binary-mode CloudEvents (the default) or plain JSON to `/events/<type>`. */
  shape?: RequestShape;
}

export interface CellOptions {
  /** The processes whose CPU to read from the first request until every event is processed. */
  cpuRoots?: CpuRoot[];
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
  /** From the first request sent to the last event processed (first reply seen). */
  endToEnd: { seconds: number; processedPerSecond: number } | null;
  /** CPU of every process of the system over the same stretch (when asked for, on Linux). */
  cpu: CpuBudget | null;
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

  private readonly named = new Map<string, { ledger: IdLedger; n: number }>();
  /** Replies that came before the 202 naming their event was read. */
  private readonly early = new Map<string, string[]>();

  /** Event n of `ledger` was named `id` by the ingress (plain-JSON POSTs). */
  name(ledger: IdLedger, n: number, id: string): void {
    this.named.set(id, { ledger, n });
    for (const replyId of this.early.get(id) ?? []) ledger.replyAt(n, replyId);
    this.early.delete(id);
  }

  reply = (eventId: string, replyId: string): void => {
    const dash = eventId.indexOf("-");
    const byPrefix = this.byPrefix.get(eventId.slice(0, dash + 1));
    if (byPrefix) return byPrefix.reply(eventId, replyId);
    const named = this.named.get(eventId);
    if (named) named.ledger.replyAt(named.n, replyId);
    else this.early.set(eventId, [...(this.early.get(eventId) ?? []), replyId]);
  };
}

export async function runCell(
  platform: BenchPlatform,
  ledgers: Ledgers,
  plan: CellPlan,
  onProgress: (answered: number) => void,
  options: CellOptions = {},
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
  let firstSentAt: number | undefined;
  const spec = {
    url: `${platform.ingressUrl}/events`,
    shape: plan.shape ?? "binary",
    count: plan.size,
    id: (n: number) => ledger.id(n),
    onSent: (n: number) => {
      firstSentAt ??= performance.now();
      ledger.sent(n);
    },
    onAnswer: (n: number, status: number) => ledger.answered(n, status),
    ...(plan.shape === "plain"
      ? { onNamed: (n: number, id: string) => ledgers.name(ledger, n, id) }
      : {}),
    onProgress,
  };
  const cpu = options.cpuRoots?.length ? startCpuSampler(options.cpuRoots) : undefined;
  const load = await (
    plan.mode === "closed"
      ? closedLoop({ ...spec, connections: plan.connections })
      : openLoop({ ...spec, rate: plan.rate! })
  ).finally(() => clearInterval(peakTimer));
  const loadEnded = performance.now();

  // Drained when every accepted event has a reply or sits in a dead-letter queue. The wait ends
  // only when nothing more is processed for a minute: on a busy machine a slow drain is slow, not
  // lost, and calling it lost would be wrong.
  const stallMs = 60_000;
  let drainMs: number | null = null;
  let deadLettered = 0;
  let lastStatusCheck = 0;
  let settled = -1;
  let lastProgressAt = loadEnded;
  while (performance.now() - lastProgressAt < stallMs) {
    if (performance.now() - lastStatusCheck > 1000) {
      lastStatusCheck = performance.now();
      deadLettered = (await platform.status()).events.deadLettered - deadLetteredBefore;
    }
    if (ledger.acceptedProcessed + deadLettered >= ledger.accepted) {
      drainMs = performance.now() - loadEnded;
      break;
    }
    if (ledger.acceptedProcessed + deadLettered > settled) {
      settled = ledger.acceptedProcessed + deadLettered;
      lastProgressAt = performance.now();
    }
    await sleep(25);
  }
  const cpuBudget = cpu?.stop() ?? null;
  const lastProcessedAt = ledger.lastProcessedAt;
  const e2eSeconds =
    firstSentAt !== undefined && lastProcessedAt !== undefined
      ? (lastProcessedAt - firstSentAt) / 1000
      : 0;
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
    endToEnd:
      e2eSeconds > 0
        ? { seconds: e2eSeconds, processedPerSecond: ledger.processed / e2eSeconds }
        : null,
    cpu: cpuBudget,
  };
}
