/**
 * Which delivery spec a Trigger's dispatcher runs with, by eventing-rabbitmq's rule
 * (pkg/reconciler/trigger/trigger.go, ReconcileKind): a Trigger's own `delivery` replaces the
 * Broker's whole, field by field nothing is merged; without one, the Broker's applies.
 *
 * Where its dead letters go follows from it: a Trigger with its own `delivery` dead-letters into
 * its own exchange only if that delivery names a `deadLetterSink`, otherwise nowhere (upstream
 * passes an empty DLX_NAME, and failed events are acked and dropped); a Trigger without one uses
 * the Broker's dead-letter exchange, which exists only when the Broker names a `deadLetterSink`
 * (pkg/reconciler/broker/broker.go).
 */
import type { DeliverySpec } from "../manifests.js";

export interface EffectiveDelivery {
  spec: DeliverySpec | undefined;
  /** Whose dead-letter exchange takes the failed events; undefined: none, they are dropped. */
  deadLetters: "trigger" | "broker" | undefined;
}

export function effectiveDelivery(
  brokerDelivery: DeliverySpec | undefined,
  triggerDelivery: DeliverySpec | undefined,
): EffectiveDelivery {
  if (triggerDelivery !== undefined)
    return {
      spec: triggerDelivery,
      deadLetters: triggerDelivery.deadLetterSink ? "trigger" : undefined,
    };
  return {
    spec: brokerDelivery,
    deadLetters: brokerDelivery?.deadLetterSink ? "broker" : undefined,
  };
}
