/**
 * RabbitMQ resource names, in eventing-rabbitmq's scheme (pkg/rabbitmqnaming): the Broker's
 * exchange `b.<ns>.<broker>.<uid>`, its dead-letter exchange and queue `b.<ns>.<broker>.dlx.<uid>`
 * and `.dlq.`, a Trigger's queue `<ns>.<trigger>.<uid>`. On a cluster `<uid>` is the Broker's UID;
 * locally it is the platform instance's id, which is also what keeps test runs apart.
 */
export interface BrokerNames {
  exchange: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

export function brokerNames(namespace: string, broker: string, uid: string): BrokerNames {
  return {
    exchange: `b.${namespace}.${broker}.${uid}`,
    deadLetterExchange: `b.${namespace}.${broker}.dlx.${uid}`,
    deadLetterQueue: `b.${namespace}.${broker}.dlq.${uid}`,
  };
}

export function triggerQueueName(namespace: string, trigger: string, uid: string): string {
  return `${namespace}.${trigger}.${uid}`;
}

export function triggerDeadLetterNames(
  namespace: string,
  trigger: string,
  uid: string,
): { exchange: string; queue: string } {
  return {
    exchange: `t.${namespace}.${trigger}.dlx.${uid}`,
    queue: `t.${namespace}.${trigger}.dlq.${uid}`,
  };
}

/** Binding argument eventing-rabbitmq adds so each Trigger's binding is distinct; `x-` keys do not take part in matching. */
export const TRIGGER_BINDING_KEY = "x-knative-trigger";
export const DLQ_BINDING_KEY = "x-knative-dlq";
