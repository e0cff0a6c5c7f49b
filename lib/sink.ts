import type { CloudEvent } from "cloudevents";

/**
 * Where an event goes next. `send` resolves only once the sink holds the events durably
 * (a publisher confirm, or a 2xx from the broker's HTTP ingress); that is what lets the ingress
 * answer 202. It rejects with BrokerUnavailableError or PublishRejectedError.
 */
export interface Sink {
  send(events: readonly CloudEvent<unknown>[]): Promise<void>;
  /** True while the sink can take events; false makes readiness fail and requests get 503. */
  readonly available: boolean;
  /** Waits for outstanding confirms, then releases connections. Safe to call twice. */
  close(): Promise<void>;
}
