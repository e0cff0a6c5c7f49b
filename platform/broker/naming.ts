/**
 * RabbitMQ resource names, in eventing-rabbitmq's scheme (pkg/rabbitmqnaming/naming.go): the
 * Broker's exchange `b.<ns>.<broker>.<broker uid>`, its dead-letter exchange and queue
 * `b.<ns>.<broker>.dlx.<broker uid>` and `.dlq.`, a Trigger's queue `<ns>.<trigger>.<broker uid>`,
 * and a Trigger's own dead-letter exchange and queue `t.<ns>.<trigger>.dlx.<trigger uid>` and
 * `.dlq.`. All but the Trigger's queue are Kubernetes names, shortened past 63 characters as
 * `kmeta.ChildName` does (see `childName`); the Trigger's queue name is RabbitMQ's alone (up to 255).
 *
 * On a cluster the uids are the Broker's and the Trigger's; locally the platform instance's id
 * stands in for both, which is also what keeps test runs apart.
 */
import { childName } from "./child-name.js";

export interface BrokerNames {
  exchange: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

export function brokerNames(namespace: string, broker: string, brokerUid: string): BrokerNames {
  return {
    exchange: childName(`b.${namespace}.${broker}.`, brokerUid),
    deadLetterExchange: childName(`b.${namespace}.${broker}.dlx.`, brokerUid),
    deadLetterQueue: childName(`b.${namespace}.${broker}.dlq.`, brokerUid),
  };
}

export function triggerQueueName(namespace: string, trigger: string, brokerUid: string): string {
  return `${namespace}.${trigger}.${brokerUid}`;
}

/** Whether `queue` is a Trigger queue of the Broker with `brokerUid` in `namespace`: `<ns>.<trigger>.<uid>`. */
export function isTriggerQueueName(queue: string, namespace: string, brokerUid: string): boolean {
  const prefix = `${namespace}.`;
  const suffix = `.${brokerUid}`;
  if (!queue.startsWith(prefix) || !queue.endsWith(suffix)) return false;
  const trigger = queue.slice(prefix.length, queue.length - suffix.length);
  // A Trigger's name is a DNS label: lower-case letters, digits and dashes.
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(trigger);
}

export function triggerDeadLetterNames(
  namespace: string,
  trigger: string,
  triggerUid: string,
): { exchange: string; queue: string } {
  return {
    exchange: childName(`t.${namespace}.${trigger}.dlx.`, triggerUid),
    queue: childName(`t.${namespace}.${trigger}.dlq.`, triggerUid),
  };
}

/** Binding argument eventing-rabbitmq adds so each Trigger's binding is distinct; `x-` keys do not take part in matching. */
export const TRIGGER_BINDING_KEY = "x-knative-trigger";
export const DLQ_BINDING_KEY = "x-knative-dlq";
