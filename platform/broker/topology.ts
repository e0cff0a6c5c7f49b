/**
 * Declares a Broker's RabbitMQ resources from the manifests, as eventing-rabbitmq's reconciler
 * does: a durable headers exchange per Broker, a durable queue per Trigger (quorum unless the
 * RabbitmqBrokerConfig says classic) bound with `x-match: all` on `spec.filter.attributes`, and a
 * dead-letter exchange and queue per Broker (and per Trigger with its own deadLetterSink).
 */
import type { Channel } from "amqplib";
import type { BrokerSpec, Manifests, TriggerSpec } from "../manifests.js";
import { brokerNames, DLQ_BINDING_KEY, TRIGGER_BINDING_KEY, triggerDeadLetterNames, triggerQueueName } from "./naming.js";

export interface TriggerPlan {
  trigger: TriggerSpec;
  broker: BrokerSpec;
  queue: string;
  exchange: string;
  /** Where this Trigger's dead letters go. */
  deadLetterExchange: string;
  deadLetterQueue: string;
}

export interface BrokerPlan {
  broker: BrokerSpec;
  exchange: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

export interface TopologyPlan {
  brokers: BrokerPlan[];
  triggers: TriggerPlan[];
}

export function planTopology(manifests: Manifests, uid: string): TopologyPlan {
  const brokers = manifests.brokers.map((broker) => ({ broker, ...brokerNames(broker.namespace, broker.name, uid) }));
  const triggers = manifests.triggers.map((trigger): TriggerPlan => {
    const plan = brokers.find((b) => b.broker.name === trigger.broker && b.broker.namespace === trigger.namespace)!;
    const own = trigger.delivery?.deadLetterSink ? triggerDeadLetterNames(trigger.namespace, trigger.name, uid) : undefined;
    return {
      trigger,
      broker: plan.broker,
      queue: triggerQueueName(trigger.namespace, trigger.name, uid),
      exchange: plan.exchange,
      deadLetterExchange: own?.exchange ?? plan.deadLetterExchange,
      deadLetterQueue: own?.queue ?? plan.deadLetterQueue,
    };
  });
  return { brokers, triggers };
}

function queueArguments(broker: BrokerSpec): Record<string, unknown> {
  return { "x-queue-type": broker.queueType };
}

export async function declareTopology(channel: Channel, plan: TopologyPlan): Promise<void> {
  for (const b of plan.brokers) {
    await channel.assertExchange(b.exchange, "headers", { durable: true, autoDelete: false });
    await channel.assertExchange(b.deadLetterExchange, "headers", { durable: true, autoDelete: false });
    await channel.assertQueue(b.deadLetterQueue, { durable: true, autoDelete: false, arguments: queueArguments(b.broker) });
    await channel.bindQueue(b.deadLetterQueue, b.deadLetterExchange, "", { "x-match": "all", [DLQ_BINDING_KEY]: b.broker.name });
  }
  for (const t of plan.triggers) {
    await channel.assertQueue(t.queue, { durable: true, autoDelete: false, arguments: queueArguments(t.broker) });
    await channel.bindQueue(t.queue, t.exchange, "", { "x-match": "all", ...t.trigger.filter, [TRIGGER_BINDING_KEY]: t.trigger.name });
    if (t.trigger.delivery?.deadLetterSink) {
      await channel.assertExchange(t.deadLetterExchange, "headers", { durable: true, autoDelete: false });
      await channel.assertQueue(t.deadLetterQueue, { durable: true, autoDelete: false, arguments: queueArguments(t.broker) });
      await channel.bindQueue(t.deadLetterQueue, t.deadLetterExchange, "", { "x-match": "all" });
    }
  }
}

/** Removes everything `declareTopology` made; for tests and `--clean` runs. */
export async function deleteTopology(channel: Channel, plan: TopologyPlan): Promise<void> {
  for (const t of plan.triggers) {
    await channel.deleteQueue(t.queue);
    if (t.trigger.delivery?.deadLetterSink) {
      await channel.deleteQueue(t.deadLetterQueue);
      await channel.deleteExchange(t.deadLetterExchange);
    }
  }
  for (const b of plan.brokers) {
    await channel.deleteQueue(b.deadLetterQueue);
    await channel.deleteExchange(b.deadLetterExchange);
    await channel.deleteExchange(b.exchange);
  }
}
