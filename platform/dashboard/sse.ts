/**
 * The dashboard's live feed, as server-sent events: at connect the whole window (event `hello`),
 * then about once a second the samples taken since (event `samples`, the timeline's 250 ms
 * samples batched), with the burst's progress. The page's EventSource reconnects by itself
 * (`retry` 1 s) and gets a fresh `hello`, so a restarted platform or a dropped connection heals
 * without a reload. The stream keeps going while RabbitMQ is down: the samples say so.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Timeline } from "../status/timeline.js";
import type { BurstStatus, HelloMessage, SamplesMessage } from "./wire.js";

export interface DashboardStreamOptions {
  timeline: Pick<Timeline, "intervalMs" | "windowMs" | "since">;
  burst: () => BurstStatus | null;
  /** Time between two messages (default 1000 ms). */
  periodMs?: number;
  now?: () => number;
}

export function dashboardStream(c: Context, options: DashboardStreamOptions): Response {
  const { timeline, burst } = options;
  const periodMs = options.periodMs ?? 1000;
  const now = options.now ?? Date.now;
  // Proxies (and compression middleware) must pass events on at once.
  c.header("x-accel-buffering", "no");
  return streamSSE(c, async (stream) => {
    const samples = timeline.since(now() - timeline.windowMs);
    let last = samples.at(-1)?.t ?? 0;
    const hello: HelloMessage = {
      intervalMs: timeline.intervalMs,
      windowMs: timeline.windowMs,
      samples,
      burst: burst(),
    };
    await stream.writeSSE({ event: "hello", data: JSON.stringify(hello), retry: 1000 });
    while (!stream.aborted && !stream.closed) {
      await stream.sleep(periodMs);
      if (stream.aborted) break;
      const fresh = timeline.since(last);
      if (fresh.length) last = fresh.at(-1)!.t;
      const message: SamplesMessage = { samples: fresh, burst: burst() };
      // Sent even when empty: it is also the heartbeat that tells the page the platform answers.
      await stream.writeSSE({ event: "samples", data: JSON.stringify(message) });
    }
  });
}
