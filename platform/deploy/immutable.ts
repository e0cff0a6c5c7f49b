/**
 * Which edits a cluster refuses: eventing-rabbitmq's validating webhook rejects an update that
 * changes
 * - a RabbitMQBroker-class Broker's whole `spec`, or its `eventing.knative.dev/broker.class`
 *   annotation (pkg/apis/eventing/v1alpha1/broker_validation.go),
 * - a Trigger's `spec.filter` (pkg/apis/eventing/v1alpha1/trigger_validation.go),
 * - a RabbitmqBrokerConfig's whole `spec` (pkg/apis/eventing/v1alpha1/rabbitmq_validation.go).
 * `leveler deploy` compares the rendered object with the live one before applying, so the user
 * reads which field changed instead of the webhook's refusal halfway through a deploy.
 */
import type { KubeDoc } from "./render.js";

export const BROKER_CLASS = "eventing.knative.dev/broker.class";

/** One changed field: `spec.filter.attributes.type: "a" → "b"`. */
export interface ImmutableChange {
  path: string;
  live: unknown;
  desired: unknown;
}

/** What part of an object of this kind the webhook freezes, or undefined for other kinds. */
export function frozenPart(doc: KubeDoc): "spec" | "spec.filter" | undefined {
  const group = String(doc.apiVersion ?? "").split("/")[0];
  if (group !== "eventing.knative.dev") return undefined;
  if (doc.kind === "Broker" || doc.kind === "RabbitmqBrokerConfig") return "spec";
  if (doc.kind === "Trigger") return "spec.filter";
  return undefined;
}

/**
 * The frozen fields that differ between the live object and the rendered one; empty when the
 * object does not exist yet, is of another kind, or only other fields changed. A field the
 * rendered object leaves out counts as removed, except where the API server fills a default
 * (a Broker's `spec.config.namespace` is its own; an absent filter is an empty one).
 */
export function immutableChanges(desired: KubeDoc, live: KubeDoc | undefined): ImmutableChange[] {
  const part = frozenPart(desired);
  if (!part || !live) return [];
  const changes: ImmutableChange[] = [];
  if (desired.kind === "Broker") {
    const classOf = (d: KubeDoc) =>
      (d.metadata.annotations as Record<string, string> | undefined)?.[BROKER_CLASS];
    if (classOf(live) !== classOf(desired))
      changes.push({
        path: `metadata.annotations["${BROKER_CLASS}"]`,
        live: classOf(live),
        desired: classOf(desired),
      });
  }
  const pick = (d: KubeDoc) => withDefaults(d, part === "spec" ? d.spec : at(d.spec, "filter"));
  diff(part, normalize(pick(live)), normalize(pick(desired)), changes);
  return changes;
}

/** `spec.filter.attributes.type: "order.created" → "order.placed"`, each change so. */
export function describeChanges(changes: readonly ImmutableChange[]): string {
  const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
  return changes.map((c) => `${c.path}: ${show(c.live)} → ${show(c.desired)}`).join("; ");
}

function withDefaults(doc: KubeDoc, value: unknown): unknown {
  if (doc.kind !== "Broker" || !isObject(value)) return value;
  const config = value.config;
  if (!isObject(config) || config.namespace !== undefined) return value;
  return { ...value, config: { ...config, namespace: doc.metadata.namespace } };
}

function at(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Drops nulls and empty maps and lists: the API server does not keep the difference. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.length ? items : undefined;
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value ?? undefined;
}

function diff(path: string, live: unknown, desired: unknown, out: ImmutableChange[]): void {
  if (isObject(live) && isObject(desired)) {
    for (const key of [...new Set([...Object.keys(live), ...Object.keys(desired)])].sort())
      diff(`${path}.${key}`, live[key], desired[key], out);
    return;
  }
  if (JSON.stringify(live) !== JSON.stringify(desired)) out.push({ path, live, desired });
}
