/**
 * A KEDA ScaledObject (keda.sh/v1alpha1) that scales a Trigger's dispatcher Deployment by its
 * queue's length, read into what the local dispatcher applies (backlog-scaler.ts).
 * eventing-rabbitmq names that Deployment `<trigger>-dispatcher`
 * (pkg/reconciler/trigger/resources/dispatcher.go, DispatcherName); eventing-autoscaler-keda
 * generates the same kind of ScaledObject for it (pkg/reconciler/trigger/resources/scaled_object.go).
 * Only what the local platform can honour is accepted: one `rabbitmq` trigger in QueueLength mode.
 */
import { KEDA_DEFAULTS, type BacklogScaling } from "./backlog-scaler.js";
import { HPA_DEFAULT_BEHAVIOR, HPA_SYNC_PERIOD_MS, readHpaBehavior } from "./hpa-behavior.js";

export const PAUSED_REPLICAS_ANNOTATION = "autoscaling.keda.sh/paused-replicas";
export const PAUSED_ANNOTATION = "autoscaling.keda.sh/paused";

export interface DispatcherScaledObject {
  name: string;
  namespace: string;
  file: string;
  /** The Deployment it scales (spec.scaleTargetRef.name). */
  target: string;
  scaling: BacklogScaling;
}

type Doc = Record<string, unknown>;

/** The dispatcher Deployment's name for a Trigger, as eventing-rabbitmq names it. */
export function dispatcherDeploymentName(trigger: string): string {
  return `${trigger}-dispatcher`;
}

/** Throws an Error (the caller names the file) when the ScaledObject is not one leveler can run. */
export function readScaledObject(
  doc: Doc,
  name: string,
  namespace: string,
  file: string,
): DispatcherScaledObject {
  const meta = obj(doc.metadata);
  const spec = obj(doc.spec);
  const target = obj(spec.scaleTargetRef);
  const kind = target.kind ?? "Deployment";
  if (kind !== "Deployment" || typeof target.name !== "string")
    throw new Error(
      "spec.scaleTargetRef must name a Deployment (a Trigger's <trigger>-dispatcher)",
    );
  const triggers = Array.isArray(spec.triggers) ? (spec.triggers as Doc[]) : [];
  const rabbit = triggers[0];
  if (triggers.length !== 1 || rabbit?.type !== "rabbitmq")
    throw new Error("spec.triggers must be exactly one trigger of type rabbitmq");
  const metadata = obj(rabbit.metadata);
  const mode = metadata.mode ?? (metadata.queueLength !== undefined ? "QueueLength" : undefined);
  if (mode !== undefined && mode !== "QueueLength")
    throw new Error(
      `triggers[0].metadata.mode ${JSON.stringify(mode)}: only QueueLength runs locally`,
    );
  const value = num(metadata.value ?? metadata.queueLength, "triggers[0].metadata.value", 0);
  // What KEDA's rabbitmq scaler counts as the queue's length (keda-docs content/docs/2.18/scalers/
  // rabbitmq-queue.md): over HTTP, ready plus unacknowledged unless `excludeUnacknowledged`; over
  // AMQP, ready only. `auto` goes by the host's scheme; a host given only through a
  // TriggerAuthentication cannot be read here and counts as http, which the shipped manifests use.
  const protocol = metadata.protocol ?? "auto";
  if (protocol !== "auto" && protocol !== "http" && protocol !== "amqp")
    throw new Error(
      `triggers[0].metadata.protocol ${JSON.stringify(protocol)} must be auto, http or amqp`,
    );
  const overAmqp =
    protocol === "amqp" ||
    (protocol === "auto" && typeof metadata.host === "string" && /^amqps?:/i.test(metadata.host));
  const excludeUnacked = bool(
    metadata.excludeUnacknowledged,
    "triggers[0].metadata.excludeUnacknowledged",
  );
  const annotations = obj(meta.annotations);
  const paused =
    annotations[PAUSED_REPLICAS_ANNOTATION] !== undefined
      ? int(annotations[PAUSED_REPLICAS_ANNOTATION], PAUSED_REPLICAS_ANNOTATION, 0)
      : // Paused without a count: KEDA leaves the Deployment as it is, which starts at 1 replica.
        annotations[PAUSED_ANNOTATION] === "true"
        ? 1
        : undefined;
  const behavior = obj(obj(spec.advanced).horizontalPodAutoscalerConfig).behavior;
  const scaling: BacklogScaling = {
    name,
    minReplicas: int(spec.minReplicaCount, "spec.minReplicaCount", 0, KEDA_DEFAULTS.minReplicas),
    maxReplicas: int(spec.maxReplicaCount, "spec.maxReplicaCount", 1, KEDA_DEFAULTS.maxReplicas),
    pollingIntervalMs:
      int(spec.pollingInterval, "spec.pollingInterval", 1, KEDA_DEFAULTS.pollingIntervalMs / 1000) *
      1000,
    cooldownMs:
      int(spec.cooldownPeriod, "spec.cooldownPeriod", 0, KEDA_DEFAULTS.cooldownMs / 1000) * 1000,
    value: value || KEDA_DEFAULTS.value,
    activationValue: num(
      metadata.activationValue,
      "triggers[0].metadata.activationValue",
      0,
      KEDA_DEFAULTS.activationValue,
    ),
    behavior:
      behavior === undefined || behavior === null
        ? HPA_DEFAULT_BEHAVIOR
        : readHpaBehavior(behavior, "spec.advanced.horizontalPodAutoscalerConfig.behavior"),
    // The cluster's; the platform sets its own (HPA_SYNC_PERIOD) when it starts the dispatcher.
    hpaSyncMs: HPA_SYNC_PERIOD_MS,
    ...(paused !== undefined ? { pausedReplicas: paused } : {}),
    countsUnacked: !overAmqp && !excludeUnacked,
  };
  if (scaling.minReplicas > scaling.maxReplicas)
    throw new Error("spec.minReplicaCount is above spec.maxReplicaCount");
  return { name, namespace, file, target: target.name, scaling };
}

function obj(value: unknown): Doc {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Doc) : {};
}

/** KEDA's trigger metadata are strings holding numbers; spec fields are integers. */
function num(value: unknown, field: string, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = typeof value === "number" ? value : Number(value);
  if (value === undefined || value === "" || !Number.isFinite(n) || n < min)
    throw new Error(`${field}=${JSON.stringify(value)} must be a number of at least ${min}`);
  return n;
}

/** As KEDA reads it (Go's strconv.ParseBool); absent is false. */
function bool(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  // YAML may hand over a boolean where KEDA's metadata map holds its text.
  const text = typeof value === "boolean" ? String(value) : value;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text as string)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text as string)) return false;
  throw new Error(`${field}=${JSON.stringify(value)} must be true or false`);
}

function int(value: unknown, field: string, min: number, fallback?: number): number {
  const n = num(value, field, min, fallback);
  if (!Number.isInteger(n)) throw new Error(`${field}=${JSON.stringify(value)} must be an integer`);
  return n;
}
