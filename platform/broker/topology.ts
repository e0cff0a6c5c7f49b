/**
 * Declares a Broker's RabbitMQ resources from the manifests, as eventing-rabbitmq's reconciler
 * does: a durable headers exchange per Broker, a durable queue per Trigger (quorum unless the
 * RabbitmqBrokerConfig says classic) bound with `x-match: all` on `spec.filter.attributes`, a
 * dead-letter exchange and queue per Broker that names a deadLetterSink
 * (pkg/reconciler/broker/broker.go) and per Trigger whose own `delivery` names one
 * (effective-delivery.ts); and, as the messaging topology operator does, every `Queue` manifest.
 */
import type { Channel, ChannelModel } from "amqplib";
import type {
  BrokerSpec,
  DeliverySpec,
  Manifests,
  QueuePolicySpec,
  QueueSpec,
  TriggerSpec,
} from "../manifests.js";
import { effectiveDelivery } from "./effective-delivery.js";
import {
  brokerNames,
  DLQ_BINDING_KEY,
  TRIGGER_BINDING_KEY,
  triggerDeadLetterNames,
  triggerQueueName,
} from "./naming.js";

export interface TriggerPlan {
  trigger: TriggerSpec;
  broker: BrokerSpec;
  queue: string;
  exchange: string;
  /** The delivery spec its dispatcher runs with: its own whole, else the Broker's. */
  delivery: DeliverySpec | undefined;
  /** Where this Trigger's dead letters go; "" (upstream's empty DLX_NAME): nowhere, dropped. */
  deadLetterExchange: string;
  /** The queue behind `deadLetterExchange`; undefined with no dead-letter exchange. */
  deadLetterQueue: string | undefined;
}

export interface BrokerPlan {
  broker: BrokerSpec;
  exchange: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  /** Whether the Broker names a deadLetterSink: only then do its DLX and DLQ exist. */
  hasDeadLetterSink: boolean;
}

export interface TopologyPlan {
  brokers: BrokerPlan[];
  triggers: TriggerPlan[];
  policies: QueuePolicySpec[];
  /** `Queue` manifests (messaging topology operator), declared as they are written. */
  queues: QueueSpec[];
  /** Stands in for the Broker's and the Triggers' UIDs in RabbitMQ names. */
  uid: string;
}

export function planTopology(manifests: Manifests, uid: string): TopologyPlan {
  const brokers = manifests.brokers.map((broker) => ({
    broker,
    ...brokerNames(broker.namespace, broker.name, uid),
    hasDeadLetterSink: broker.delivery?.deadLetterSink !== undefined,
  }));
  const triggers = manifests.triggers.map((trigger): TriggerPlan => {
    const plan = brokers.find(
      (b) => b.broker.name === trigger.broker && b.broker.namespace === trigger.namespace,
    )!;
    const effective = effectiveDelivery(plan.broker.delivery, trigger.delivery);
    const deadLetters =
      effective.deadLetters === "trigger"
        ? triggerDeadLetterNames(trigger.namespace, trigger.name, uid)
        : effective.deadLetters === "broker"
          ? { exchange: plan.deadLetterExchange, queue: plan.deadLetterQueue }
          : undefined;
    return {
      trigger,
      broker: plan.broker,
      queue: triggerQueueName(trigger.namespace, trigger.name, uid),
      exchange: plan.exchange,
      delivery: effective.spec,
      deadLetterExchange: deadLetters?.exchange ?? "",
      deadLetterQueue: deadLetters?.queue,
    };
  });
  return { brokers, triggers, policies: manifests.queuePolicies, queues: manifests.queues, uid };
}

/**
 * Queue arguments: the type from the RabbitmqBrokerConfig, and the bounds of the matching
 * policies. RabbitMQ applies the lower of a policy and an operator policy; as arguments we do the
 * same, which is also what RabbitMQ does between an argument and a policy. Of two matching
 * policies of one kind, the higher priority wins. No dead-letter exchange: eventing-rabbitmq sets
 * one by a Policy, which only acts on messages a consumer rejects, and no dispatcher rejects any
 * (both publish dead letters themselves).
 */
export function queueArguments(
  broker: BrokerSpec,
  queue: string,
  policies: readonly QueuePolicySpec[],
): Record<string, unknown> {
  // No x-quorum-initial-group-size: eventing-rabbitmq's Queue carries only the type
  // (pkg/rabbit/queue.go, NewQueue), so on a cluster a Trigger's quorum queue gets RabbitMQ's
  // default membership, min(quorum_cluster_size = 3, nodes) (rabbit_quorum_queue.erl,
  // get_default_quorum_initial_group_size): three members on the three-node cluster, and so on
  // LEVELER_RABBITMQ_NODES=3's (test/faults/cluster.test.ts checks it). Adding the argument would
  // also fail the declare of every queue made without it (RabbitMQ compares it for equivalence).
  const args: Record<string, unknown> = { "x-queue-type": broker.queueType };
  const best = (kind: QueuePolicySpec["kind"]) =>
    policies
      .filter((p) => p.kind === kind && p.pattern.test(queue))
      .sort((a, b) => b.priority - a.priority)[0];
  const applied = [best("Policy"), best("OperatorPolicy")].filter(
    (p): p is QueuePolicySpec => p !== undefined,
  );
  const min = (values: (number | undefined)[]) => {
    const set = values.filter((v): v is number => v !== undefined);
    return set.length ? Math.min(...set) : undefined;
  };
  const maxLength = min(applied.map((p) => p.maxLength));
  const maxLengthBytes = min(applied.map((p) => p.maxLengthBytes));
  const overflow =
    applied.find((p) => p.kind === "OperatorPolicy" && p.overflow)?.overflow ??
    applied.find((p) => p.overflow)?.overflow;
  if (maxLength !== undefined) args["x-max-length"] = maxLength;
  if (maxLengthBytes !== undefined) args["x-max-length-bytes"] = maxLengthBytes;
  if (overflow !== undefined) args["x-overflow"] = overflow;
  return args;
}

/**
 * Declares a queue; if one by that name exists with other arguments (say, a bound added to the
 * manifests since) and it is empty and unused, it is replaced. One that holds messages is never
 * deleted: the error says what to do.
 */
async function assertQueue(
  connection: ChannelModel,
  queue: string,
  args: Record<string, unknown>,
): Promise<void> {
  const options = { durable: true, autoDelete: false, arguments: args };
  const declared = await withChannel(connection, (ch) => ch.assertQueue(queue, options)).then(
    () => true,
    (err: Error) => {
      if (!/PRECONDITION_FAILED/.test(err.message)) throw err;
      return false;
    },
  );
  if (declared) return;
  const { messageCount, consumerCount } = await withChannel(connection, (ch) =>
    ch.checkQueue(queue),
  );
  if (messageCount > 0 || consumerCount > 0)
    throw new QueueArgumentsChanged(queue, messageCount, consumerCount);
  await withChannel(connection, async (ch) => {
    await ch.deleteQueue(queue, { ifEmpty: true });
    await ch.assertQueue(queue, options);
  });
}

/** A channel for one step: a failed declare closes its channel, so each step gets its own. */
export async function withChannel<T>(
  connection: ChannelModel,
  work: (channel: Channel) => Promise<T>,
): Promise<T> {
  const channel = await connection.createChannel();
  channel.on("error", () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

export class QueueArgumentsChanged extends Error {
  override readonly name = "QueueArgumentsChanged";
  constructor(
    readonly queue: string,
    messages: number,
    consumers: number,
    manifest?: string,
  ) {
    super(
      manifest
        ? `${manifest}: queue ${queue} exists with other arguments or type than the manifest gives it (RabbitMQ cannot change them); delete it (rabbitmqctl delete_queue ${queue}) once its messages are safe, then start again`
        : `queue ${queue} exists with other arguments than the manifests now give it, and holds ${messages} message(s) with ${consumers} consumer(s); drain it, or delete it (rabbitmqctl delete_queue ${queue}), then start again`,
    );
  }
}

export async function declareTopology(connection: ChannelModel, plan: TopologyPlan): Promise<void> {
  await withChannel(connection, (channel) => declareExchanges(channel, plan));
  for (const b of plan.brokers) {
    if (b.hasDeadLetterSink)
      await assertQueue(connection, b.deadLetterQueue, { "x-queue-type": b.broker.queueType });
  }
  for (const t of plan.triggers) {
    await assertQueue(connection, t.queue, queueArguments(t.broker, t.queue, plan.policies));
    if (ownsDeadLetters(t))
      await assertQueue(connection, t.deadLetterQueue!, { "x-queue-type": t.broker.queueType });
  }
  for (const q of plan.queues) await declareQueue(connection, q);
  await withChannel(connection, (channel) => declareBindings(channel, plan));
}

/** A Queue manifest as the topology operator declares it: its type as `x-queue-type`, its arguments. */
export function queueManifestArguments(q: QueueSpec): Record<string, unknown> {
  return { ...q.arguments, "x-queue-type": q.type };
}

async function declareQueue(connection: ChannelModel, q: QueueSpec): Promise<void> {
  await withChannel(connection, (ch) =>
    ch.assertQueue(q.queueName, {
      durable: q.durable,
      autoDelete: false,
      arguments: queueManifestArguments(q),
    }),
  ).catch((err: Error) => {
    // The operator refuses to change a Queue's arguments after creation; so do we, in one line.
    if (/PRECONDITION_FAILED/.test(err.message))
      throw new QueueArgumentsChanged(q.queueName, NaN, NaN, `${q.file}: Queue ${q.name}`);
    throw err;
  });
}

/** Whether the Trigger has its own dead-letter exchange and queue (its own delivery names a sink). */
export function ownsDeadLetters(t: TriggerPlan): boolean {
  return t.deadLetterQueue !== undefined && t.trigger.delivery?.deadLetterSink !== undefined;
}

async function declareExchanges(channel: Channel, plan: TopologyPlan): Promise<void> {
  for (const b of plan.brokers) {
    await channel.assertExchange(b.exchange, "headers", { durable: true, autoDelete: false });
    if (b.hasDeadLetterSink)
      await channel.assertExchange(b.deadLetterExchange, "headers", {
        durable: true,
        autoDelete: false,
      });
  }
  for (const t of plan.triggers) {
    if (ownsDeadLetters(t))
      await channel.assertExchange(t.deadLetterExchange, "headers", {
        durable: true,
        autoDelete: false,
      });
  }
}

async function declareBindings(channel: Channel, plan: TopologyPlan): Promise<void> {
  for (const b of plan.brokers) {
    if (!b.hasDeadLetterSink) continue;
    await channel.bindQueue(b.deadLetterQueue, b.deadLetterExchange, "", {
      "x-match": "all",
      [DLQ_BINDING_KEY]: b.broker.name,
    });
  }
  for (const t of plan.triggers) {
    await channel.bindQueue(t.queue, t.exchange, "", {
      "x-match": "all",
      ...t.trigger.filter,
      [TRIGGER_BINDING_KEY]: t.trigger.name,
    });
    if (ownsDeadLetters(t))
      await channel.bindQueue(t.deadLetterQueue!, t.deadLetterExchange, "", { "x-match": "all" });
  }
}

/** Removes everything `declareTopology` made; for tests and `--clean` runs. */
export async function deleteTopology(channel: Channel, plan: TopologyPlan): Promise<void> {
  for (const t of plan.triggers) {
    await channel.deleteQueue(t.queue);
    if (ownsDeadLetters(t)) {
      await channel.deleteQueue(t.deadLetterQueue!);
      await channel.deleteExchange(t.deadLetterExchange);
    }
  }
  for (const b of plan.brokers) {
    if (b.hasDeadLetterSink) {
      await channel.deleteQueue(b.deadLetterQueue);
      await channel.deleteExchange(b.deadLetterExchange);
    }
    await channel.deleteExchange(b.exchange);
  }
  for (const q of plan.queues) await channel.deleteQueue(q.queueName);
}
