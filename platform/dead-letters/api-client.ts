/**
 * The platform's client of the dead-letter sink's operator API (functions/dead-letters/app.ts):
 * `GET /dead-letters?limit&type&id` and `POST /dead-letters/replay`. The platform calls it at the
 * sink Service's local address, as any client in the cluster would call the Service: through its
 * front, which wakes it from zero. Failures become one `DeadLetterApiError` line.
 */
import type { DeadLetter, ReplayFilter } from "./dead-letter.js";

export interface DeadLetterApiOptions {
  /** The sink Service's address (its front), read at each call: it is known once serving started. */
  url: () => string;
  token: string;
  /** Per call; the first may wait for a cold start. */
  timeoutMs?: number;
  /** The HTTP transport; the global fetch unless a caller routes the calls (`dlq --cluster`). */
  fetch?: typeof fetch;
}

export interface DeadLetterListing {
  deadLetters: DeadLetter[];
  scanned: number;
  remaining: number;
  undecodable: number;
}

export class DeadLetterApiError extends Error {
  override readonly name = "DeadLetterApiError";
  constructor(
    /** The status to answer with: the sink's own, or 503 when it did not answer. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createDeadLetterApi(options: DeadLetterApiOptions) {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const transport = options.fetch ?? fetch;

  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const url = new URL(path, options.url()).toString();
    let response: Response;
    try {
      response = await transport(url, {
        ...init,
        headers: { authorization: `Bearer ${options.token}`, ...init.headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new DeadLetterApiError(
        503,
        `the dead-letter sink at ${url} did not answer: ${(err as Error).message}`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
      } catch {
        // not problem+json: keep the text
      }
      throw new DeadLetterApiError(response.status, `the dead-letter sink: ${detail}`);
    }
    return JSON.parse(text) as T;
  }

  return {
    /** Up to `limit` parked dead letters, oldest first (they stay parked). */
    list(limit: number, filter: ReplayFilter = {}): Promise<DeadLetterListing> {
      const query = new URLSearchParams({ limit: String(limit) });
      if (filter.type) query.set("type", filter.type);
      if (filter.id) query.set("id", filter.id);
      return call<DeadLetterListing>(`dead-letters?${query.toString()}`);
    },
    /** Republishes matching dead letters to the Broker, unparking each; returns their ids. */
    async replay(filter: ReplayFilter): Promise<string[]> {
      const { replayed } = await call<{ replayed: string[] }>("dead-letters/replay", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(filter),
      });
      return replayed;
    },
  };
}

export type DeadLetterApi = ReturnType<typeof createDeadLetterApi>;
