/**
 * Sends events to an HTTP address, as the ingress does on Knative where `K_SINK` is the
 * Broker's address. Binary content mode per event; a 2xx means the broker holds it.
 */
import { HTTP, type CloudEvent } from "cloudevents";
import { BrokerUnavailableError, PublishRejectedError, throwFirstFailure } from "./errors.js";
import type { Sink } from "./sink.js";

export interface HttpSinkOptions {
  url: string;
  timeoutMs?: number;
}

export class HttpSink implements Sink {
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: HttpSinkOptions) {}

  get available(): boolean {
    return !this.closed;
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
      throw new BrokerUnavailableError(
        `broker at ${this.options.url} unreachable: ${(err as Error).message}`,
      );
    }
    await response.body?.cancel();
    if (response.ok) return;
    if (response.status === 429)
      throw new PublishRejectedError(`broker answered ${response.status}`);
    throw new BrokerUnavailableError(`broker answered ${response.status}`);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }
}
