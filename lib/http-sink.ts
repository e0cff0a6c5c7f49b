/**
 * Sends events to an HTTP address, as the ingress does on Knative where `K_SINK` is the
 * Broker's address. Binary content mode per event; a 2xx means the broker holds it.
 *
 * eventing-rabbitmq's broker ingress (cmd/ingress/main.go, `send`) answers 202 after the
 * publisher confirm and 500 for everything else: a nack (a queue at its bound with
 * `overflow: reject-publish`), a publish error, no channel to RabbitMQ. It never answers 429, so a
 * 500 cannot be told from an outage: both become 503 with Retry-After (BrokerUnavailableError).
 * A 429 from the address (some other broker) stays a refusal, 429 with Retry-After.
 *
 * Readiness follows the broker: after `failureThreshold` consecutive failures (no answer, or
 * 5xx) the sink is unavailable, so the ingress's readiness probe fails and Knative routes no
 * traffic to it. `probeAfterMs` after the last failure it reads as available again, so the next
 * request tries the broker: a success keeps it available, a failure makes it unavailable again.
 */
import { HTTP, type CloudEvent } from "cloudevents";
import { BrokerUnavailableError, PublishRejectedError, throwFirstFailure } from "./errors.js";
import type { Sink } from "./sink.js";

export interface HttpSinkOptions {
  url: string;
  timeoutMs?: number;
  /** Consecutive failures (no answer, 5xx) after which the sink reads as unavailable. */
  failureThreshold?: number;
  /** While unavailable, how long before one more send is let through to try the broker. */
  probeAfterMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export class HttpSink implements Sink {
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private consecutiveFailures = 0;
  private trippedAt = 0;
  private readonly threshold: number;
  private readonly probeAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HttpSinkOptions) {
    this.threshold = options.failureThreshold ?? 3;
    this.probeAfterMs = options.probeAfterMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  get available(): boolean {
    if (this.closed) return false;
    if (this.consecutiveFailures < this.threshold) return true;
    return this.now() - this.trippedAt >= this.probeAfterMs;
  }

  async send(events: readonly CloudEvent<unknown>[]): Promise<void> {
    if (this.closed) throw new BrokerUnavailableError("the sink is shutting down");
    const sends = events.map((event) => this.track(this.sendOne(event)));
    throwFirstFailure(events, await Promise.allSettled(sends));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async sendOne(event: CloudEvent<unknown>): Promise<void> {
    const message = HTTP.binary(event);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: "POST",
        headers: message.headers as Record<string, string>,
        body: message.body as string,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      this.failed();
      throw new BrokerUnavailableError(
        `broker at ${this.options.url} unreachable: ${(err as Error).message}`,
      );
    }
    await response.body?.cancel();
    if (response.ok) {
      this.consecutiveFailures = 0;
      return;
    }
    if (response.status === 429)
      throw new PublishRejectedError(`broker answered ${response.status}`);
    if (response.status >= 500) this.failed();
    throw new BrokerUnavailableError(`broker answered ${response.status}`);
  }

  /** Counts a failure; reaching the threshold (or failing again past it) restarts the wait. */
  private failed(): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.threshold) this.trippedAt = this.now();
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }
}
