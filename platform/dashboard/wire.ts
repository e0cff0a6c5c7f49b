/**
 * What the dashboard's event stream carries (`GET /api/dashboard/stream`), shared by the server
 * and the page's code. Pure types: the browser bundle imports this file too.
 */

/** One timeline sample as the page receives it: the platform's own type (pure, no Node). */
import type { TimelineSample } from "../status/timeline-sample.js";

export type WireSample = TimelineSample;

/** A burst the platform is sending (or sent last) to its own ingress. */
export interface BurstStatus {
  id: number;
  /** The event types sent, in turn. */
  types: string[];
  count: number;
  concurrency: number;
  /** Requests answered so far, whatever the answer. */
  sent: number;
  /** 202: the broker confirmed the event. */
  accepted: number;
  /** 429 or 503 with Retry-After: the ingress shed the load, as it should under overload. */
  refused: number;
  /** Anything else (no answer, 4xx): should not happen. */
  failed: number;
  startedAt: number;
  finishedAt: number | null;
  lastError: string | null;
}

/** First message of every connection (event `hello`): the whole window, replacing what the page has. */
export interface HelloMessage {
  intervalMs: number;
  windowMs: number;
  samples: WireSample[];
  burst: BurstStatus | null;
}

/** About once a second (event `samples`): the samples taken since the previous message. */
export interface SamplesMessage {
  samples: WireSample[];
  burst: BurstStatus | null;
}
