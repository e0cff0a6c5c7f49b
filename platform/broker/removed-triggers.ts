/**
 * A Trigger removed from the manifests loses its queue and binding at the next start, as deleting
 * a Trigger does on a cluster: there its RabbitMQ Queue, Binding (and, with a deadLetterSink, its
 * dead-letter Exchange and Queue) are owned by the Trigger (eventing-rabbitmq
 * pkg/reconciler/trigger/trigger.go, `kmeta.NewControllerRef(t)`), so Kubernetes deletes them with
 * it and the topology operator deletes them in RabbitMQ, messages and all. Without this, a removed
 * Trigger's queue goes on taking every matching event until its bound makes the exchange refuse
 * publishes, and then every POST is answered 429.
 *
 * AMQP cannot list queues, so each start records the Triggers it declared
 * (`<state>/topology/<instance>.json`) and the next one deletes what the record has and the
 * manifests no longer do. Only names this Broker instance would have made for a Trigger are
 * touched: `<ns>.<trigger>.<uid>` queues and `t.<ns>.<trigger>.dl{x,q}.<uid>` dead-letter resources.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ChannelModel } from "amqplib";
import { isTriggerQueueName, triggerDeadLetterNames } from "./naming.js";
import { ownsDeadLetters, withChannel, type TopologyPlan } from "./topology.js";

export interface RecordedTrigger {
  namespace: string;
  name: string;
  queue: string;
  /** The Trigger's own dead-letter exchange and queue, when it had a deadLetterSink. */
  deadLetterExchange?: string;
  deadLetterQueue?: string;
}

export interface TopologyRecord {
  uid: string;
  triggers: RecordedTrigger[];
}

/** What to delete: the recorded Trigger resources the plan no longer has. */
export interface StaleResources {
  queues: string[];
  exchanges: string[];
}

export function recordOf(plan: TopologyPlan): TopologyRecord {
  return {
    uid: plan.uid,
    triggers: plan.triggers.map((t) => ({
      namespace: t.trigger.namespace,
      name: t.trigger.name,
      queue: t.queue,
      ...(ownsDeadLetters(t)
        ? { deadLetterExchange: t.deadLetterExchange, deadLetterQueue: t.deadLetterQueue! }
        : {}),
    })),
  };
}

/**
 * The recorded resources the plan no longer declares, kept to names this instance makes for a
 * Trigger: a record of another instance, or an entry that does not follow the naming, is ignored.
 */
export function staleResources(
  previous: TopologyRecord | undefined,
  plan: TopologyPlan,
): StaleResources {
  const stale: StaleResources = { queues: [], exchanges: [] };
  if (previous === undefined || previous.uid !== plan.uid) return stale;
  const current = recordOf(plan).triggers;
  const plannedQueues = new Set(current.flatMap((t) => [t.queue, t.deadLetterQueue]));
  const plannedExchanges = new Set(current.map((t) => t.deadLetterExchange));
  for (const t of previous.triggers) {
    const own = triggerDeadLetterNames(t.namespace, t.name, plan.uid);
    if (isTriggerQueueName(t.queue, t.namespace, plan.uid) && !plannedQueues.has(t.queue))
      stale.queues.push(t.queue);
    if (t.deadLetterQueue === own.queue && !plannedQueues.has(t.deadLetterQueue))
      stale.queues.push(t.deadLetterQueue);
    if (t.deadLetterExchange === own.exchange && !plannedExchanges.has(t.deadLetterExchange))
      stale.exchanges.push(t.deadLetterExchange);
  }
  return stale;
}

export interface DeletedQueue {
  queue: string;
  messages: number;
}

/** The start's one line about what it deleted; undefined when it deleted nothing. */
export function deletionLine(deleted: readonly DeletedQueue[]): string | undefined {
  if (deleted.length === 0) return undefined;
  const total = deleted.reduce((sum, d) => sum + d.messages, 0);
  const each = deleted.map((d) => `${d.queue} (${d.messages} message(s))`).join(", ");
  return `deleted the queues of Triggers no longer in the manifests, as a cluster deletes a Trigger's: ${each}; ${total} message(s) dropped`;
}

export interface PruneOptions {
  /** Where the declared Triggers are recorded between starts. */
  recordFile: string;
  log: (line: string) => void;
}

/**
 * Deletes the queues (their bindings go with them) and dead-letter exchanges of Triggers the
 * previous start declared and the manifests no longer have, logs one line saying so, and records
 * this start's Triggers. Call after `declareTopology`.
 */
export async function pruneRemovedTriggers(
  connection: ChannelModel,
  plan: TopologyPlan,
  options: PruneOptions,
): Promise<DeletedQueue[]> {
  const stale = staleResources(readRecord(options.recordFile), plan);
  const deleted: DeletedQueue[] = [];
  try {
    for (const queue of stale.queues) {
      // Gone already (deleted by hand, another broker): nothing to say.
      const found = await checkQueue(connection, queue);
      if (found === undefined) continue;
      await withChannel(connection, (channel) => channel.deleteQueue(queue));
      deleted.push({ queue, messages: found.messageCount });
    }
    for (const exchange of stale.exchanges)
      await withChannel(connection, (channel) => channel.deleteExchange(exchange));
  } catch (err) {
    // The record stays as it was, so the next start tries again.
    options.log(
      `cannot delete the queues of Triggers no longer in the manifests: ${(err as Error).message}`,
    );
    const line = deletionLine(deleted);
    if (line) options.log(line);
    return deleted;
  }
  const line = deletionLine(deleted);
  if (line) options.log(line);
  writeRecord(options.recordFile, recordOf(plan));
  return deleted;
}

/** A queue's counts, or undefined when it does not exist. */
async function checkQueue(
  connection: ChannelModel,
  queue: string,
): Promise<{ messageCount: number } | undefined> {
  return withChannel(connection, (channel) => channel.checkQueue(queue)).catch((err: Error) => {
    if (/NOT_FOUND/.test(err.message)) return undefined;
    throw err;
  });
}

function readRecord(file: string): TopologyRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // first start with this state directory
  }
  try {
    const parsed = JSON.parse(text) as TopologyRecord;
    return typeof parsed.uid === "string" && Array.isArray(parsed.triggers) ? parsed : undefined;
  } catch {
    return undefined; // unreadable: delete nothing, write a fresh one
  }
}

function writeRecord(file: string, record: TopologyRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
}
