/**
 * Before anything is applied: reads the live Brokers, Triggers and RabbitmqBrokerConfigs and
 * stops, in one line, when an edit changes a field eventing-rabbitmq's webhook freezes
 * (immutable.ts). With `replace`, deletes each such object (after saying what that drops) and
 * waits until it is gone, so the apply that follows creates it anew.
 */
import { ApiException, type KubernetesObjectApi } from "@kubernetes/client-node";
import { triggerQueueName } from "../broker/naming.js";
import { DeployError } from "./errors.js";
import { describeChanges, frozenPart, immutableChanges } from "./immutable.js";
import type { KubeDoc, SourcedDoc } from "./render.js";

export interface ReplaceOptions {
  replace: boolean;
  log: (line: string) => void;
  /** How long to wait for a deleted object to be gone (finalizers run first). */
  goneTimeoutMs?: number;
  pollMs?: number;
}

const COUNT_HINT =
  "leveler cannot count them through the API server (rabbitmqctl list_queues name messages in a RabbitMQ pod shows them)";

export async function replaceFrozen(
  client: KubernetesObjectApi,
  docs: readonly SourcedDoc[],
  options: ReplaceOptions,
): Promise<void> {
  const changed: { source: SourcedDoc; live: KubeDoc; summary: string }[] = [];
  for (const source of docs) {
    if (!frozenPart(source.doc)) continue;
    const live = await readLive(client, source.doc);
    const changes = immutableChanges(source.doc, live);
    if (live && changes.length)
      changed.push({ source, live, summary: `${name(source.doc)}: ${describeChanges(changes)}` });
  }
  if (!changed.length) return;
  if (!options.replace)
    throw new DeployError(
      `a cluster refuses these edits (eventing-rabbitmq's webhook makes them immutable): ${changed.map((c) => `${c.source.file}: ${c.summary}`).join("; ")}. Re-run with --replace to delete and recreate ${changed.length === 1 ? "it" : "them"} (it says first what that drops)`,
    );
  for (const { source, live, summary } of changed) {
    options.log(`replacing ${summary}; ${await drops(client, source.doc, docs)}`);
    try {
      await client.delete(live);
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404))
        throw new DeployError(
          `${source.file}: deleting ${name(source.doc)} failed: ${short(err)}`,
          {
            cause: err,
          },
        );
    }
    await waitGone(client, source.doc, options);
  }
}

/** What deleting this object loses, in words. */
async function drops(
  client: KubernetesObjectApi,
  doc: KubeDoc,
  docs: readonly SourcedDoc[],
): Promise<string> {
  const ns = doc.metadata.namespace ?? "";
  if (doc.kind === "Trigger") {
    const named = (doc.spec as { broker?: unknown } | undefined)?.broker;
    const brokerName = typeof named === "string" ? named : "default";
    const broker = await readLive(client, {
      apiVersion: "eventing.knative.dev/v1",
      kind: "Broker",
      metadata: { name: brokerName, namespace: ns },
    }).catch(() => undefined);
    const uid = typeof broker?.metadata.uid === "string" ? broker.metadata.uid : "<broker uid>";
    return `this deletes its queue ${triggerQueueName(ns, doc.metadata.name, uid)} and its binding, with any messages in the queue; ${COUNT_HINT}`;
  }
  if (doc.kind === "Broker") {
    const triggers = docs
      .filter(
        (d) =>
          d.doc.kind === "Trigger" &&
          (d.doc.metadata.namespace ?? "") === ns &&
          ((d.doc.spec as { broker?: unknown } | undefined)?.broker ?? "default") ===
            doc.metadata.name,
      )
      .map((d) => d.doc.metadata.name);
    return `this deletes its exchange and the queue of every Trigger on it (${triggers.join(", ") || "none rendered"}), with any messages in them, and its dead-letter queue; ${COUNT_HINT}`;
  }
  return "this drops no queue; Brokers that use it are not ready until it is back, and queues already declared keep the arguments they were declared with";
}

async function readLive(client: KubernetesObjectApi, doc: KubeDoc): Promise<KubeDoc | undefined> {
  try {
    return (await client.read({
      apiVersion: doc.apiVersion,
      kind: doc.kind,
      metadata: { name: doc.metadata.name, namespace: doc.metadata.namespace ?? "" },
    })) as unknown as KubeDoc;
  } catch (err) {
    if (err instanceof ApiException) {
      if (err.code === 404) return undefined;
      throw new DeployError(
        `reading ${name(doc)} to check for edits a cluster refuses failed: ${short(err)}`,
        { cause: err },
      );
    }
    // The cluster does not serve the kind: nothing to compare; the apply names what to install.
    if (/Unrecognized API version and kind/.test(String((err as Error).message))) return undefined;
    throw new DeployError(`reading ${name(doc)} failed: ${short(err)}`, { cause: err });
  }
}

async function waitGone(
  client: KubernetesObjectApi,
  doc: KubeDoc,
  options: ReplaceOptions,
): Promise<void> {
  const deadline = Date.now() + (options.goneTimeoutMs ?? 120_000);
  for (;;) {
    if (!(await readLive(client, doc))) return;
    if (Date.now() >= deadline)
      throw new DeployError(
        `${name(doc)} is still being deleted after ${Math.round((options.goneTimeoutMs ?? 120_000) / 1000)} s (its finalizers have not finished); re-run once it is gone`,
      );
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}

function name(doc: KubeDoc): string {
  return `${doc.kind} ${doc.metadata.namespace ? `${doc.metadata.namespace}/` : ""}${doc.metadata.name}`;
}

function short(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}`;
  return String((err as Error).message ?? err).split("\n")[0]!;
}
