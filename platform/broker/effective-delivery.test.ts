import { describe, expect, it } from "vitest";
import type { DeliverySpec } from "../manifests.js";
import { effectiveDelivery, type EffectiveDelivery } from "./effective-delivery.js";

const sink = (name: string): DeliverySpec["deadLetterSink"] => ({
  ref: { kind: "Service", name, namespace: "leveler" },
});
const brokerWithSink: DeliverySpec = {
  retry: 5,
  backoffPolicy: "exponential",
  backoffDelayMs: 200,
  timeoutMs: 30_000,
  deadLetterSink: sink("dead-letters"),
};
const brokerWithoutSink: DeliverySpec = { retry: 5, backoffDelayMs: 200 };
const triggerRetryOnly: DeliverySpec = { retry: 1 };
const triggerWithSink: DeliverySpec = { retry: 2, deadLetterSink: sink("order-dead-letters") };

// eventing-rabbitmq pkg/reconciler/trigger/trigger.go (ReconcileKind: "If trigger specified
// delivery, use it") at bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32.
describe("a Trigger's effective delivery", () => {
  const table: [string, DeliverySpec | undefined, DeliverySpec | undefined, EffectiveDelivery][] = [
    [
      "neither: no retries, no dead letters",
      undefined,
      undefined,
      { spec: undefined, deadLetters: undefined },
    ],
    [
      "the Broker's, with its sink",
      brokerWithSink,
      undefined,
      { spec: brokerWithSink, deadLetters: "broker" },
    ],
    [
      "the Broker's, without a sink: nowhere",
      brokerWithoutSink,
      undefined,
      { spec: brokerWithoutSink, deadLetters: undefined },
    ],
    [
      "the Trigger's replaces the Broker's whole: no backoff, timeout or sink inherited",
      brokerWithSink,
      triggerRetryOnly,
      { spec: triggerRetryOnly, deadLetters: undefined },
    ],
    [
      "the Trigger's with its own sink",
      brokerWithSink,
      triggerWithSink,
      { spec: triggerWithSink, deadLetters: "trigger" },
    ],
    [
      "the Trigger's alone",
      undefined,
      triggerWithSink,
      { spec: triggerWithSink, deadLetters: "trigger" },
    ],
    [
      "an empty Trigger delivery still replaces",
      brokerWithSink,
      {},
      { spec: {}, deadLetters: undefined },
    ],
  ];
  it.each(table)("%s", (_name, broker, trigger, want) => {
    expect(effectiveDelivery(broker, trigger)).toEqual(want);
  });
});
