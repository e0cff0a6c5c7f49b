/**
 * "Send a burst", for demonstrations: the platform posts `count` valid events to its own public
 * ingress over HTTP (`POST /events/<type>`, as any client would), at a bounded concurrency, and
 * reports how the ingress answered. One burst at a time; the request is answered at once (202)
 * and the progress travels on the dashboard's event stream.
 */
import type { BurstStatus } from "./wire.js";
import { HttpError } from "../../lib/http-problem.js";
import { fieldError } from "./problem.js";
import { sampleData, samples } from "../../functions/events/samples.js";

export const MAX_BURST = 20_000;

export interface BurstRequest {
  count: number;
  /** Full event types, sent in turn. */
  types: string[];
}

/** The event types a burst can send: those with a schema and sample data. */
export function burstTypes(schemaTypes: readonly string[]): string[] {
  return schemaTypes.filter((t) => t in samples).sort();
}

/** Valid data for the n-th event of a burst (functions/events/samples.ts). */
export function burstData(type: string, burstId: string, n: number): unknown {
  return sampleData(type, burstId, n);
}

/** `order` for `com.example.order.created`: the name the page and the body use. */
export function shortType(type: string): string {
  const parts = type.split(".");
  return parts.length > 1 ? parts[parts.length - 2]! : type;
}

/** `{"count": n, "type"?: "order" | "com.example.order.created" | "all"}`; 400 naming the field otherwise. */
export function parseBurstRequest(
  body: Record<string, unknown>,
  types: readonly string[],
  maxCount = MAX_BURST,
): BurstRequest {
  const count = body.count;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > maxCount) {
    throw fieldError(
      400,
      "Bad Request",
      `count must be a whole number from 1 to ${maxCount}, not ${JSON.stringify(count ?? null)}`,
      "count",
    );
  }
  const type = body.type ?? "all";
  if (type === "all") return { count, types: [...types] };
  const match =
    typeof type === "string" ? types.find((t) => t === type || shortType(t) === type) : undefined;
  if (!match)
    throw fieldError(
      400,
      "Bad Request",
      `type must be "all" or one of ${types.map(shortType).join(", ")} (or the full type), not ${JSON.stringify(type)}`,
      "type",
    );
  return { count, types: [match] };
}

export interface BurstSenderOptions {
  /** The public ingress, e.g. `http://127.0.0.1:8080`; undefined while it is not running. */
  ingressUrl: () => string | undefined;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  /** Bound on one request, answer included (default 30 s). */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

export class BurstSender {
  private current: BurstStatus | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private nextId = 1;
  private readonly concurrency: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: BurstSenderOptions) {
    this.concurrency = options.concurrency ?? 16;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The burst being sent, or the last one (a copy). */
  status(): BurstStatus | null {
    return this.current ? { ...this.current, types: [...this.current.types] } : null;
  }

  /** Starts a burst and returns at once; 409 while one is running, 503 without an ingress. */
  start(request: BurstRequest): BurstStatus {
    if (this.running) {
      const c = this.current!;
      throw new HttpError(
        409,
        "Conflict",
        `a burst is being sent (${c.sent} of ${c.count}); wait for it to finish`,
      );
    }
    const target = this.options.ingressUrl();
    if (!target) throw new HttpError(503, "Service Unavailable", "the ingress is not running");
    const status: BurstStatus = {
      id: this.nextId++,
      types: request.types,
      count: request.count,
      concurrency: Math.min(this.concurrency, request.count),
      sent: 0,
      accepted: 0,
      refused: 0,
      failed: 0,
      startedAt: Date.now(),
      finishedAt: null,
      lastError: null,
    };
    this.current = status;
    this.running = this.send(status, target).finally(() => {
      status.finishedAt = Date.now();
      this.running = undefined;
    });
    return this.status()!;
  }

  /** Resolves when the running burst (if any) is over. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** Abandons what is left to send. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async send(status: BurstStatus, target: string): Promise<void> {
    const burstId = `burst${status.id}-${status.startedAt.toString(36)}`;
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    let next = 0;
    const worker = async () => {
      while (!this.abort.signal.aborted) {
        const n = next++;
        if (n >= status.count) return;
        const type = status.types[n % status.types.length]!;
        try {
          const response = await this.fetch(`${target}/events/${type}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(burstData(type, burstId, n)),
            signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
          });
          const text = await response.text();
          if (response.status === 202) status.accepted++;
          else if (response.status === 429 || response.status === 503) status.refused++;
          else {
            status.failed++;
            status.lastError = `${response.status} ${text.slice(0, 200)}`;
          }
        } catch (err) {
          status.failed++;
          status.lastError = (err as Error).message;
        }
        status.sent++;
      }
    };
    await Promise.all(Array.from({ length: status.concurrency }, worker));
  }
}
