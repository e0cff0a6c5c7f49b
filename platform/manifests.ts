/**
 * Reads the Knative and eventing-rabbitmq manifests (every *.yaml under the given folders) into
 * the model the local platform runs. The manifests are the source of truth: a new Trigger file
 * is a new queue, binding and dispatcher at the next start.
 * One file past 350 lines on purpose: one reader per kind (Service, Broker, Trigger, SinkBinding,
 * queue policy) sharing the field helpers at the bottom, so every kind is checked the same way.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { parse as parseIsoDuration } from "tinyduration";
import { parseCpuMillis } from "./serving/cpu-weight.js";
import type { BacklogScaling } from "./broker/backlog-scaler.js";
import {
  dispatcherDeploymentName,
  readScaledObject,
  type DispatcherScaledObject,
} from "./broker/scaled-object.js";

export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

export interface Destination {
  ref?: { apiVersion?: string; kind: string; name: string; namespace: string };
  uri?: string;
}

export interface DeliverySpec {
  retry?: number;
  backoffPolicy?: "linear" | "exponential";
  /** Milliseconds, from the ISO-8601 `backoffDelay`. */
  backoffDelayMs?: number;
  /** Milliseconds per attempt, from the ISO-8601 `timeout`. */
  timeoutMs?: number;
  deadLetterSink?: Destination;
}

export interface ServiceSpec {
  kind: "Service";
  name: string;
  namespace: string;
  file: string;
  /** Local bundle name, the image's last path segment. */
  bundle: string;
  env: Record<string, string>;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  containerConcurrency: number;
  /** Revision timeout: how long a request may take; also the termination grace period. */
  timeoutSeconds: number;
  readinessPath: string;
  /** `resources.requests.cpu` of the container, in millicores: its CPU weight (serving/cpu-weight.ts). */
  cpuRequestMillis: number | undefined;
}

export interface BrokerSpec {
  kind: "Broker";
  name: string;
  namespace: string;
  file: string;
  brokerClass: string | undefined;
  queueType: "quorum" | "classic";
  delivery: DeliverySpec | undefined;
}

export interface TriggerSpec {
  kind: "Trigger";
  name: string;
  namespace: string;
  file: string;
  broker: string;
  filter: Record<string, string>;
  subscriber: Destination;
  delivery: DeliverySpec | undefined;
  parallelism: number;
  /** eventing-rabbitmq's `cpu-request` annotation: the dispatcher's CPU request, in millicores. */
  cpuRequestMillis: number | undefined;
  /** The KEDA ScaledObject on its dispatcher, if any: deliveries then follow the backlog. */
  backlog?: BacklogScaling;
}

export interface SinkBindingSpec {
  kind: "SinkBinding";
  name: string;
  namespace: string;
  file: string;
  subject: { kind: string; name: string; namespace: string };
  sink: Destination;
}

/** A RabbitMQ (operator) policy for queues, from the messaging topology operator's CRDs. */
export interface QueuePolicySpec {
  kind: "OperatorPolicy" | "Policy";
  name: string;
  file: string;
  pattern: RegExp;
  priority: number;
  maxLength?: number;
  maxLengthBytes?: number;
  overflow?: "drop-head" | "reject-publish" | "reject-publish-dlx";
}

/**
 * A queue the messaging topology operator declares (`rabbitmq.com/v1beta1` Queue): `spec.name`
 * (default: the resource's name), `type`, `durable` and `arguments`, as the operator passes them
 * to RabbitMQ.
 */
export interface QueueSpec {
  kind: "Queue";
  name: string;
  file: string;
  queueName: string;
  type: "quorum" | "classic" | "stream";
  durable: boolean;
  arguments: Record<string, unknown>;
}

/**
 * The RabbitMQ cluster operator's RabbitmqCluster (`rabbitmq.com/v1beta1`), for what a private
 * local node takes from it: the CPU its pods request (rabbitmq-schedulers.ts).
 */
export interface RabbitmqClusterSpec {
  kind: "RabbitmqCluster";
  name: string;
  namespace: string;
  file: string;
  /** `spec.resources.requests.cpu`, in millicores. */
  cpuRequestMillis: number | undefined;
}

export interface Manifests {
  services: ServiceSpec[];
  brokers: BrokerSpec[];
  triggers: TriggerSpec[];
  sinkBindings: SinkBindingSpec[];
  queuePolicies: QueuePolicySpec[];
  queues: QueueSpec[];
  rabbitmqClusters: RabbitmqClusterSpec[];
  /** ConfigMaps by name (data only). */
  configMaps: Map<string, Record<string, string>>;
  warnings: string[];
}

export const PARALLELISM_ANNOTATION = "rabbitmq.eventing.knative.dev/parallelism";
export const CPU_REQUEST_ANNOTATION = "rabbitmq.eventing.knative.dev/cpu-request";
const BROKER_CLASS_ANNOTATION = "eventing.knative.dev/broker.class";

type Doc = Record<string, unknown>;

export function loadManifests(dirs: readonly string[], root = process.cwd()): Manifests {
  const docs: { doc: Doc; file: string }[] = [];
  for (const dir of dirs) {
    for (const file of yamlFiles(dir)) {
      const shown = relative(root, file) || file;
      for (const parsed of parseAllDocuments(readFileSync(file, "utf8"))) {
        if (parsed.errors.length) throw new ManifestError(`${shown}: ${parsed.errors[0]!.message}`);
        const doc = parsed.toJS() as unknown;
        if (doc && typeof doc === "object") docs.push({ doc: doc as Doc, file: shown });
      }
    }
  }
  return buildModel(docs);
}

export function buildModel(docs: readonly { doc: Doc; file: string }[]): Manifests {
  const model: Manifests = {
    services: [],
    brokers: [],
    triggers: [],
    sinkBindings: [],
    queuePolicies: [],
    queues: [],
    rabbitmqClusters: [],
    configMaps: new Map(),
    warnings: [],
  };
  const brokerConfigs = new Map<string, Doc>();
  const scaledObjects: DispatcherScaledObject[] = [];
  for (const { doc, file } of docs) {
    const kind = str(doc.kind);
    const apiVersion = str(doc.apiVersion) ?? "";
    const meta = obj(doc.metadata);
    const name = str(meta.name);
    if (!kind || !name) continue;
    const namespace = str(meta.namespace) ?? "default";
    const at = `${file}: ${kind} ${name}`;
    if (kind === "RabbitmqBrokerConfig") brokerConfigs.set(`${namespace}/${name}`, doc);
    else if (kind === "ConfigMap") model.configMaps.set(name, strings(doc.data));
    else if (kind === "Service" && apiVersion.startsWith("serving.knative.dev/"))
      model.services.push(service(doc, name, namespace, file, at));
    else if (kind === "Broker") model.brokers.push(broker(doc, name, namespace, file, at));
    else if (kind === "Trigger")
      model.triggers.push(trigger(doc, name, namespace, file, at, model.warnings));
    else if (kind === "SinkBinding")
      model.sinkBindings.push(sinkBinding(doc, name, namespace, file, at));
    else if (
      (kind === "OperatorPolicy" || kind === "Policy") &&
      apiVersion.startsWith("rabbitmq.com/")
    ) {
      const policy = queuePolicy(doc, kind, name, file, at);
      if (policy) model.queuePolicies.push(policy);
    } else if (kind === "Queue" && apiVersion.startsWith("rabbitmq.com/"))
      model.queues.push(queue(doc, name, file, at));
    else if (kind === "RabbitmqCluster" && apiVersion.startsWith("rabbitmq.com/"))
      model.rabbitmqClusters.push({
        kind,
        name,
        namespace,
        file,
        cpuRequestMillis: cpuRequest(
          obj(obj(obj(doc.spec).resources).requests).cpu,
          `${at}: spec.resources.requests.cpu`,
        ),
      });
    else if (kind === "ScaledObject" && apiVersion.startsWith("keda.sh/")) {
      try {
        scaledObjects.push(readScaledObject(doc, name, namespace, file));
      } catch (err) {
        throw new ManifestError(`${at}: ${(err as Error).message}`);
      }
    }
  }
  for (const b of model.brokers) {
    const ref = obj(
      obj(docs.find((d) => d.file === b.file && str(obj(d.doc.metadata).name) === b.name)?.doc.spec)
        .config,
    );
    const configName = str(ref.name);
    if (configName) {
      const config = brokerConfigs.get(`${str(ref.namespace) ?? b.namespace}/${configName}`);
      if (!config)
        throw new ManifestError(
          `${b.file}: Broker ${b.name}: spec.config names RabbitmqBrokerConfig ${configName}, which no manifest defines`,
        );
      const queueType = str(obj(config.spec).queueType) ?? "quorum";
      if (queueType !== "quorum" && queueType !== "classic")
        throw new ManifestError(
          `RabbitmqBrokerConfig ${configName}: queueType must be quorum or classic, not ${queueType}`,
        );
      b.queueType = queueType;
    }
  }
  for (const t of model.triggers) {
    if (!model.brokers.some((b) => b.name === t.broker && b.namespace === t.namespace)) {
      throw new ManifestError(
        `${t.file}: Trigger ${t.name}: spec.broker "${t.broker}" is not a Broker in namespace ${t.namespace}`,
      );
    }
    checkDestination(model, t.subscriber, `${t.file}: Trigger ${t.name}: spec.subscriber`);
  }
  attachScaledObjects(model, scaledObjects);
  return model;
}

/**
 * Gives each Trigger the ScaledObject that scales its dispatcher. Its most deliveries in flight
 * (maxReplicaCount × parallelism) should not exceed what the subscriber Service takes at its
 * largest (max-scale × containerConcurrency): more would wait in the activator or be refused.
 * Past it, the local dispatcher stops at the Service's bound and a warning says so; KEDA on a
 * cluster would not, so the warning asks for a lower maxReplicaCount.
 */
function attachScaledObjects(model: Manifests, scaledObjects: readonly DispatcherScaledObject[]) {
  for (const so of scaledObjects) {
    const at = `${so.file}: ScaledObject ${so.name}`;
    const t = model.triggers.find(
      (t) => t.namespace === so.namespace && dispatcherDeploymentName(t.name) === so.target,
    );
    if (!t) {
      model.warnings.push(`${at}: scales ${so.target}, which is no Trigger's dispatcher`);
      continue;
    }
    if (t.backlog) throw new ManifestError(`${at}: Trigger ${t.name} already has a ScaledObject`);
    const ref = t.subscriber.ref;
    const subscriber = model.services.find(
      (s) => ref?.kind === "Service" && s.name === ref.name && s.namespace === ref.namespace,
    );
    const maxScale = Number(subscriber?.annotations["autoscaling.knative.dev/max-scale"] ?? 0);
    const cc = subscriber?.containerConcurrency ?? 0;
    const most = so.scaling.maxReplicas * t.parallelism;
    const scaling = { ...so.scaling };
    if (maxScale > 0 && cc > 0 && most > maxScale * cc) {
      scaling.maxReplicas = Math.max(1, Math.floor((maxScale * cc) / t.parallelism));
      scaling.minReplicas = Math.min(scaling.minReplicas, scaling.maxReplicas);
      model.warnings.push(
        `${at}: maxReplicaCount ${so.scaling.maxReplicas} × parallelism ${t.parallelism} = ${most} deliveries in flight, more than Service ${subscriber!.name} takes (max-scale ${maxScale} × containerConcurrency ${cc} = ${maxScale * cc}); locally it stops at ${scaling.maxReplicas} replicas, on a cluster it would not: set maxReplicaCount to ${scaling.maxReplicas}`,
      );
    }
    t.backlog = scaling;
  }
}

const MAX_CONTAINER_CONCURRENCY = 1000;

function service(doc: Doc, name: string, namespace: string, file: string, at: string): ServiceSpec {
  const template = obj(obj(doc.spec).template);
  const podSpec = obj(template.spec);
  const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as Doc[]) : [];
  const container = containers[0];
  if (!container) throw new ManifestError(`${at}: spec.template.spec.containers is empty`);
  const image = str(container.image);
  if (!image) throw new ManifestError(`${at}: containers[0].image is required`);
  const env: Record<string, string> = {};
  for (const e of Array.isArray(container.env) ? (container.env as Doc[]) : []) {
    const key = str(e.name);
    if (key && e.value !== undefined) env[key] = scalar(e.value);
  }
  const cc = podSpec.containerConcurrency ?? 0;
  // Knative's webhook: 0 (no limit) up to container-concurrency-max-limit, 1000 by default
  // (knative/serving pkg/apis/serving/metadata_validation.go, pkg/apis/config/defaults.go).
  if (typeof cc !== "number" || !Number.isInteger(cc) || cc < 0 || cc > MAX_CONTAINER_CONCURRENCY)
    throw new ManifestError(
      `${at}: spec.template.spec.containerConcurrency=${JSON.stringify(cc)} must be an integer from 0 to ${MAX_CONTAINER_CONCURRENCY}`,
    );
  return {
    kind: "Service",
    name,
    namespace,
    file,
    bundle: image
      .replace(/[@:][^/]*$/, "")
      .split("/")
      .pop()!,
    env,
    annotations: strings(obj(template.metadata).annotations),
    labels: strings(obj(doc.metadata).labels),
    containerConcurrency: cc,
    timeoutSeconds:
      typeof podSpec.timeoutSeconds === "number" && podSpec.timeoutSeconds > 0
        ? podSpec.timeoutSeconds
        : 300,
    readinessPath: str(obj(obj(container.readinessProbe).httpGet).path) ?? "/health/readiness",
    cpuRequestMillis: cpuRequest(
      obj(obj(container.resources).requests).cpu,
      `${at}: containers[0].resources.requests.cpu`,
    ),
  };
}

function broker(doc: Doc, name: string, namespace: string, file: string, at: string): BrokerSpec {
  const annotations = strings(obj(doc.metadata).annotations);
  const spec = obj(doc.spec);
  return {
    kind: "Broker",
    name,
    namespace,
    file,
    brokerClass: annotations[BROKER_CLASS_ANNOTATION],
    queueType: "quorum",
    delivery:
      spec.delivery === undefined
        ? undefined
        : delivery(obj(spec.delivery), namespace, `${at}: spec.delivery`),
  };
}

function trigger(
  doc: Doc,
  name: string,
  namespace: string,
  file: string,
  at: string,
  warnings: string[],
): TriggerSpec {
  const spec = obj(doc.spec);
  const annotations = strings(obj(doc.metadata).annotations);
  const brokerName = str(spec.broker);
  if (!brokerName) throw new ManifestError(`${at}: spec.broker is required`);
  if (spec.filters !== undefined) {
    warnings.push(
      `${at}: spec.filters is ignored (eventing-rabbitmq reads only spec.filter.attributes)`,
    );
  }
  const filter = strings(obj(spec.filter).attributes);
  const rawParallelism = annotations[PARALLELISM_ANNOTATION] ?? "1";
  const parallelism = Number(rawParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 1000) {
    throw new ManifestError(
      `${at}: annotation ${PARALLELISM_ANNOTATION}="${rawParallelism}" must be an integer from 1 to 1000`,
    );
  }
  if (spec.subscriber === undefined) throw new ManifestError(`${at}: spec.subscriber is required`);
  return {
    kind: "Trigger",
    name,
    namespace,
    file,
    broker: brokerName,
    filter,
    subscriber: destination(obj(spec.subscriber), namespace, `${at}: spec.subscriber`),
    delivery:
      spec.delivery === undefined
        ? undefined
        : delivery(obj(spec.delivery), namespace, `${at}: spec.delivery`),
    parallelism,
    cpuRequestMillis: cpuRequest(
      annotations[CPU_REQUEST_ANNOTATION],
      `${at}: annotation ${CPU_REQUEST_ANNOTATION}`,
    ),
  };
}

function cpuRequest(value: unknown, at: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    if (typeof value !== "string" && typeof value !== "number")
      throw new Error(`${JSON.stringify(value)} is not a CPU quantity`);
    return parseCpuMillis(String(value));
  } catch (err) {
    throw new ManifestError(`${at}: ${(err as Error).message}`);
  }
}

function sinkBinding(
  doc: Doc,
  name: string,
  namespace: string,
  file: string,
  at: string,
): SinkBindingSpec {
  const spec = obj(doc.spec);
  const subject = obj(spec.subject);
  const subjectName = str(subject.name);
  if (!subjectName)
    throw new ManifestError(
      `${at}: spec.subject.name is required (label selectors are not supported locally)`,
    );
  return {
    kind: "SinkBinding",
    name,
    namespace,
    file,
    subject: {
      kind: str(subject.kind) ?? "",
      name: subjectName,
      namespace: str(subject.namespace) ?? namespace,
    },
    sink: destination(obj(spec.sink), namespace, `${at}: spec.sink`),
  };
}

function queuePolicy(
  doc: Doc,
  kind: "OperatorPolicy" | "Policy",
  name: string,
  file: string,
  at: string,
): QueuePolicySpec | undefined {
  const spec = obj(doc.spec);
  const applyTo = str(spec.applyTo) ?? "all";
  if (!["queues", "all", "quorum_queues", "classic_queues"].includes(applyTo)) return undefined;
  const rawPattern = str(spec.pattern);
  if (!rawPattern) throw new ManifestError(`${at}: spec.pattern is required`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(rawPattern);
  } catch {
    throw new ManifestError(`${at}: spec.pattern "${rawPattern}" is not a regular expression`);
  }
  const def = obj(spec.definition);
  const count = (key: string) => {
    const v = def[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      throw new ManifestError(`${at}: spec.definition.${key} must be an integer ≥ 0`);
    return v;
  };
  const overflow = def.overflow;
  if (
    overflow !== undefined &&
    overflow !== "drop-head" &&
    overflow !== "reject-publish" &&
    overflow !== "reject-publish-dlx"
  ) {
    throw new ManifestError(
      `${at}: spec.definition.overflow must be drop-head, reject-publish or reject-publish-dlx`,
    );
  }
  const maxLength = count("max-length");
  const maxLengthBytes = count("max-length-bytes");
  return {
    kind,
    name,
    file,
    pattern,
    priority: typeof spec.priority === "number" ? spec.priority : 0,
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(maxLengthBytes !== undefined ? { maxLengthBytes } : {}),
    ...(overflow !== undefined ? { overflow } : {}),
  };
}

function queue(doc: Doc, name: string, file: string, at: string): QueueSpec {
  const spec = obj(doc.spec);
  const type = str(spec.type) ?? "classic";
  if (type !== "quorum" && type !== "classic" && type !== "stream")
    throw new ManifestError(`${at}: spec.type must be quorum, classic or stream, not ${type}`);
  const durable = spec.durable === undefined ? false : spec.durable;
  if (typeof durable !== "boolean")
    throw new ManifestError(`${at}: spec.durable must be a boolean`);
  if (type !== "classic" && !durable)
    throw new ManifestError(`${at}: a ${type} queue must be durable (spec.durable: true)`);
  return {
    kind: "Queue",
    name,
    file,
    queueName: str(spec.name) ?? name,
    type,
    durable,
    arguments: obj(spec.arguments),
  };
}

function delivery(d: Doc, namespace: string, at: string): DeliverySpec {
  const out: DeliverySpec = {};
  if (d.retry !== undefined) {
    if (typeof d.retry !== "number" || !Number.isInteger(d.retry) || d.retry < 0)
      throw new ManifestError(`${at}.retry must be an integer ≥ 0`);
    out.retry = d.retry;
  }
  if (d.backoffPolicy !== undefined) {
    if (d.backoffPolicy !== "linear" && d.backoffPolicy !== "exponential")
      throw new ManifestError(`${at}.backoffPolicy must be linear or exponential`);
    out.backoffPolicy = d.backoffPolicy;
  }
  if (d.backoffDelay !== undefined)
    out.backoffDelayMs = isoDurationMs(d.backoffDelay, `${at}.backoffDelay`);
  if (d.timeout !== undefined) {
    out.timeoutMs = isoDurationMs(d.timeout, `${at}.timeout`);
    if (out.timeoutMs <= 0) throw new ManifestError(`${at}.timeout must be greater than 0`);
  }
  if (d.deadLetterSink !== undefined)
    out.deadLetterSink = destination(obj(d.deadLetterSink), namespace, `${at}.deadLetterSink`);
  return out;
}

function destination(d: Doc, namespace: string, at: string): Destination {
  const ref = d.ref === undefined ? undefined : obj(d.ref);
  const uri = str(d.uri);
  if (!ref && !uri) throw new ManifestError(`${at} needs a ref or a uri`);
  const out: Destination = {};
  if (ref) {
    const kind = str(ref.kind);
    const name = str(ref.name);
    if (!kind || !name) throw new ManifestError(`${at}.ref needs kind and name`);
    out.ref = {
      kind,
      name,
      namespace: str(ref.namespace) ?? namespace,
      ...(str(ref.apiVersion) ? { apiVersion: str(ref.apiVersion)! } : {}),
    };
  }
  if (uri) out.uri = uri;
  return out;
}

function checkDestination(model: Manifests, d: Destination, at: string): void {
  const ref = d.ref;
  if (!ref) return;
  if (
    ref.kind === "Service" &&
    !model.services.some((s) => s.name === ref.name && s.namespace === ref.namespace)
  ) {
    throw new ManifestError(
      `${at}.ref names Service ${ref.namespace}/${ref.name}, which no manifest defines`,
    );
  }
}

/** ISO-8601 duration (`PT0.5S`, `PT1M`) in milliseconds, as Knative's delivery spec writes them. */
export function isoDurationMs(value: unknown, at: string): number {
  if (typeof value !== "string")
    throw new ManifestError(`${at} must be an ISO-8601 duration such as PT1S`);
  try {
    const d = parseIsoDuration(value);
    if (d.negative) throw new Error("negative");
    const days = (d.years ?? 0) * 365 + (d.months ?? 0) * 30 + (d.weeks ?? 0) * 7 + (d.days ?? 0);
    return Math.round(
      ((days * 24 + (d.hours ?? 0)) * 3600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000,
    );
  } catch {
    throw new ManifestError(`${at}="${value}" is not an ISO-8601 duration such as PT1S`);
  }
}

function yamlFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.sort().flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) && entry !== "kustomization.yaml" ? [path] : [];
  });
}

function obj(value: unknown): Doc {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Doc) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value)))
    if (v !== undefined && v !== null) out[k] = scalar(v);
  return out;
}

function scalar(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
