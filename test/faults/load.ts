/**
 * A client that behaves as a careful producer: N requests in flight, and on 503/429 (or a
 * dropped connection) it waits for Retry-After and sends the same event again, so every event is
 * eventually accepted. Bounded in attempts and time.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface LoadOptions {
  url: string;
  count: number;
  concurrency: number;
  /** The request for event number i: path and JSON body. */
  request: (i: number) => { path: string; body: unknown };
  onAccepted: (id: string, i: number) => void;
  /** Called after each acceptance, with how many have been accepted so far. */
  progress?: (accepted: number) => void;
  maxAttempts?: number;
  /** Stop taking new events once this says so (events already begun are still sent until accepted). */
  until?: () => boolean;
}

export interface LoadResult {
  accepted: number;
  refusals: Record<string, number>;
  gaveUp: number;
}

export async function sendWithRetries(options: LoadOptions): Promise<LoadResult> {
  let next = 0;
  let accepted = 0;
  let gaveUp = 0;
  const refusals: Record<string, number> = {};
  const maxAttempts = options.maxAttempts ?? 200;
  const worker = async () => {
    for (;;) {
      if (options.until?.()) return;
      const i = next++;
      if (i >= options.count) return;
      const { path, body } = options.request(i);
      for (let attempt = 1; ; attempt++) {
        let status: number;
        let retryAfter = 0.2;
        try {
          const response = await fetch(options.url + path, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          status = response.status;
          const answer = (await response.json().catch(() => ({}))) as { id?: string };
          if (status === 202 && answer.id) {
            options.onAccepted(answer.id, i);
            accepted++;
            options.progress?.(accepted);
            break;
          }
          retryAfter = Number(response.headers.get("retry-after") ?? "0.2") || 0.2;
        } catch {
          status = 0; // connection refused or reset: the client retries
        }
        refusals[String(status)] = (refusals[String(status)] ?? 0) + 1;
        if (status !== 0 && status !== 503 && status !== 429)
          throw new Error(`unexpected answer ${status} for event ${i}`);
        if (attempt >= maxAttempts) {
          gaveUp++;
          break;
        }
        await sleep(Math.min(1000, retryAfter * 1000) * (0.5 + Math.random() / 2));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { accepted, refusals, gaveUp };
}
