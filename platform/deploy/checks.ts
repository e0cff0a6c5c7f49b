/**
 * Cross-checks over a set of manifests that no single schema can make: references resolve, every
 * accepted event type has one Trigger, consumers are private and scale from zero, dead letters
 * have somewhere to go, each Knative Service uses only what Knative Serving accepts on a
 * container. Pure: documents in, problems out.
 * Run on knative/ + rabbitmq-eventing/ and on what `leveler deploy` renders.
 * One file past 350 lines on purpose: the rules sit side by side, a few lines each, so the whole
 * contract a cluster is held to reads in one place.
 */
import { containersOf, type KubeDoc, type SourcedDoc } from "./render.js";

/** Ports Knative Serving reserves for the queue-proxy and itself (a user port may not be one). */
export const RESERVED_PORTS = [8008, 8012, 8013, 8022, 9090, 9091];
export const READINESS_PATH = "/health/readiness";
export const LIVENESS_PATH = "/health/liveness";
export const BROKER_CLASS = "RabbitMQBroker";
const PARALLELISM = "rabbitmq.eventing.knative.dev/parallelism";
/** Where a consumer hands the events it refuses (functions/consumer-runtime). */
export const DEAD_LETTER_SINK_ENV = "K_DEAD_LETTER_SINK";

/**
 * Container and pod fields Knative Serving keeps without a feature flag (its field masks in
 * knative/serving pkg/apis/serving/fieldmask.go; allowPrivilegeEscalation and seccompProfile
 * are accepted since Serving 1.9, whose webhook warns when they are unset).
 */
const CONTAINER_FIELDS = new Set([
  "name",
  "args",
  "command",
  "env",
  "workingDir",
  "envFrom",
  "image",
  "imagePullPolicy",
  "livenessProbe",
  "ports",
  "readinessProbe",
  "resources",
  "securityContext",
  "terminationMessagePath",
  "terminationMessagePolicy",
  "volumeMounts",
  "startupProbe",
]);
const POD_FIELDS = new Set([
  "serviceAccountName",
  "containers",
  "volumes",
  "imagePullSecrets",
  "enableServiceLinks",
  // Only `false` (knative/serving pkg/apis/serving/fieldmask.go, PodSpecMask); checked below.
  "automountServiceAccountToken",
  "containerConcurrency",
  "timeoutSeconds",
  "responseStartTimeoutSeconds",
  "idleTimeoutSeconds",
]);
const SECURITY_CONTEXT_FIELDS = new Set([
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "readOnlyRootFilesystem",
  "capabilities",
  "allowPrivilegeEscalation",
  "seccompProfile",
]);

export interface CheckInput {
  docs: readonly SourcedDoc[];
  /** Event types the ingress accepts ($id of each schema). */
  eventTypes: readonly string[];
  /** Functions that have a bundle (folders under functions/ with a main.ts). */
  functions: readonly string[];
}

export function checkManifests({ docs, eventTypes, functions }: CheckInput): string[] {
  const problems: string[] = [];
  const at = (d: SourcedDoc) => `${d.file}: ${d.doc.kind} ${d.doc.metadata.name}`;
  const ns = (d: KubeDoc) => d.metadata.namespace ?? "default";
  const find = (kind: string, name: string, namespace: string, group?: string) =>
    docs.find(
      (d) =>
        d.doc.kind === kind &&
        d.doc.metadata.name === name &&
        ns(d.doc) === namespace &&
        (!group || d.doc.apiVersion.startsWith(`${group}/`)),
    );
  const knativeServices = docs.filter(
    (d) => d.doc.kind === "Service" && d.doc.apiVersion === "serving.knative.dev/v1",
  );
  const triggers = docs.filter((d) => d.doc.kind === "Trigger");
  const sinkBindings = docs.filter((d) => d.doc.kind === "SinkBinding");
  /** Every deadLetterSink's ref (Brokers' and Triggers'), its namespace resolved. */
  const sinkRefs: Record<string, unknown>[] = [];
  const sinkRef = (d: SourcedDoc, dest: unknown) => {
    const ref = obj(obj(dest).ref);
    sinkRefs.push({
      ...ref,
      namespace: typeof ref.namespace === "string" ? ref.namespace : ns(d.doc),
    });
  };

  const checkDestination = (d: SourcedDoc, dest: unknown, where: string) => {
    const { ref, uri } = obj(dest);
    if (!ref && typeof uri !== "string")
      return problems.push(`${at(d)}: ${where} needs a ref or a uri`);
    if (!ref) return;
    const r = obj(ref);
    const group = typeof r.apiVersion === "string" ? r.apiVersion.split("/")[0] : undefined;
    if (
      !find(
        String(r.kind),
        String(r.name),
        typeof r.namespace === "string" ? r.namespace : ns(d.doc),
        group,
      )
    ) {
      problems.push(
        `${at(d)}: ${where}.ref names ${String(r.kind)} ${String(r.name)}, which no manifest defines`,
      );
    }
  };

  // Brokers: eventing-rabbitmq's class, a RabbitmqBrokerConfig that exists, retries with backoff.
  for (const b of docs.filter((d) => d.doc.kind === "Broker")) {
    const annotations = obj(b.doc.metadata.annotations);
    if (annotations["eventing.knative.dev/broker.class"] !== BROKER_CLASS)
      problems.push(
        `${at(b)}: annotation eventing.knative.dev/broker.class must be ${BROKER_CLASS}`,
      );
    const spec = obj(b.doc.spec);
    const config = obj(spec.config);
    if (
      config.apiVersion !== "eventing.knative.dev/v1alpha1" ||
      config.kind !== "RabbitmqBrokerConfig"
    )
      problems.push(
        `${at(b)}: spec.config must name an eventing.knative.dev/v1alpha1 RabbitmqBrokerConfig`,
      );
    else if (
      !find(
        "RabbitmqBrokerConfig",
        String(config.name),
        typeof config.namespace === "string" ? config.namespace : ns(b.doc),
      )
    )
      problems.push(
        `${at(b)}: spec.config names RabbitmqBrokerConfig ${String(config.name)}, which no manifest defines`,
      );
    const delivery = obj(spec.delivery);
    if (typeof delivery.retry !== "number" || delivery.retry < 1)
      problems.push(`${at(b)}: spec.delivery.retry must be at least 1`);
    if (delivery.backoffPolicy !== "exponential")
      problems.push(`${at(b)}: spec.delivery.backoffPolicy must be exponential`);
    if (typeof delivery.backoffDelay !== "string")
      problems.push(`${at(b)}: spec.delivery.backoffDelay is required (ISO-8601, e.g. PT0.2S)`);
    // eventing-rabbitmq creates the Broker's dead-letter exchange and queue only with a sink
    // (pkg/reconciler/broker/broker.go); without one, failed events are acked and lost.
    if (delivery.deadLetterSink === undefined)
      problems.push(
        `${at(b)}: spec.delivery.deadLetterSink is required (without it eventing-rabbitmq drops failed events)`,
      );
    else checkDestination(b, delivery.deadLetterSink, "spec.delivery.deadLetterSink");
    sinkRef(b, delivery.deadLetterSink);
  }

  for (const c of docs.filter((d) => d.doc.kind === "RabbitmqBrokerConfig")) {
    const spec = obj(c.doc.spec);
    const ref = obj(spec.rabbitmqClusterReference);
    if (spec.queueType !== "quorum") problems.push(`${at(c)}: spec.queueType must be quorum`);
    if (typeof ref.name !== "string")
      problems.push(
        `${at(c)}: spec.rabbitmqClusterReference.name is required (the operator's RabbitmqCluster, not a connection secret)`,
      );
    else if (
      !find(
        "RabbitmqCluster",
        ref.name,
        typeof ref.namespace === "string" ? ref.namespace : ns(c.doc),
      )
    )
      problems.push(
        `${at(c)}: spec.rabbitmqClusterReference names RabbitmqCluster ${ref.name}, which no manifest defines`,
      );
  }

  // Queue bounds: the policy's cluster exists and its pattern covers every Trigger queue
  // (eventing-rabbitmq names them `<namespace>.<trigger>.<broker uid>`).
  for (const p of docs.filter((d) => d.doc.kind === "OperatorPolicy")) {
    const spec = obj(p.doc.spec);
    const ref = obj(spec.rabbitmqClusterReference);
    if (
      typeof ref.name === "string" &&
      !find(
        "RabbitmqCluster",
        ref.name,
        typeof ref.namespace === "string" ? ref.namespace : ns(p.doc),
      )
    )
      problems.push(
        `${at(p)}: spec.rabbitmqClusterReference names RabbitmqCluster ${ref.name}, which no manifest defines`,
      );
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(String(spec.pattern));
    } catch {
      problems.push(`${at(p)}: spec.pattern is not a regular expression`);
    }
    for (const t of triggers) {
      const queue = `${ns(t.doc)}.${t.doc.metadata.name}.00000000-0000-0000-0000-000000000000`;
      if (pattern && !pattern.test(queue))
        problems.push(
          `${at(p)}: spec.pattern does not match Trigger ${t.doc.metadata.name}'s queue (${queue})`,
        );
    }
  }

  // Triggers: broker and subscriber exist, filter.attributes only, parallelism set.
  const consumers = new Set<string>();
  for (const t of triggers) {
    const spec = obj(t.doc.spec);
    if (!find("Broker", String(spec.broker), ns(t.doc)))
      problems.push(
        `${at(t)}: spec.broker "${String(spec.broker)}" is not a Broker in namespace ${ns(t.doc)}`,
      );
    if (spec.filters !== undefined)
      problems.push(
        `${at(t)}: spec.filters is ignored by eventing-rabbitmq; use spec.filter.attributes`,
      );
    if (typeof obj(obj(spec.filter).attributes).type !== "string")
      problems.push(`${at(t)}: spec.filter.attributes.type is required`);
    const parallelism = Number(obj(t.doc.metadata.annotations)[PARALLELISM]);
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 1000)
      problems.push(`${at(t)}: annotation ${PARALLELISM} must be an integer from 1 to 1000`);
    checkDestination(t, spec.subscriber, "spec.subscriber");
    const ref = obj(obj(spec.subscriber).ref);
    if (ref.kind === "Service") consumers.add(String(ref.name));
    // A Trigger's own delivery replaces the Broker's whole (eventing-rabbitmq
    // pkg/reconciler/trigger/trigger.go): without its own sink its failed events are dropped.
    if (spec.delivery !== undefined) {
      const delivery = obj(spec.delivery);
      if (delivery.deadLetterSink === undefined)
        problems.push(
          `${at(t)}: spec.delivery replaces the Broker's whole delivery, so it needs its own deadLetterSink`,
        );
      else {
        checkDestination(t, delivery.deadLetterSink, "spec.delivery.deadLetterSink");
        sinkRef(t, delivery.deadLetterSink);
      }
    }
  }
  // Each as its cluster-local address: what a consumer's K_DEAD_LETTER_SINK must be.
  const deadLetterSinks = new Set(
    sinkRefs
      .filter((r) => r.kind === "Service")
      .map((r) => sinkAddress(String(r.name), String(r.namespace))),
  );

  // Every accepted event type has exactly one Trigger; every Trigger routes a known type.
  const routed = triggers.map((t) => obj(obj(obj(t.doc.spec).filter).attributes).type);
  for (const type of eventTypes) {
    const n = routed.filter((r) => r === type).length;
    if (n !== 1) problems.push(`event type ${type} has ${n} Triggers; it needs exactly one`);
  }
  for (const [i, type] of routed.entries()) {
    if (typeof type === "string" && !eventTypes.includes(type) && !type.endsWith(".processed"))
      problems.push(`${at(triggers[i]!)}: routes ${type}, which the ingress does not accept`);
  }

  // The ingress gets its sink from a SinkBinding whose subject and sink exist.
  const publicServices = new Set<string>();
  for (const s of sinkBindings) {
    const subject = obj(obj(s.doc.spec).subject);
    if (
      subject.apiVersion !== "serving.knative.dev/v1" ||
      subject.kind !== "Service" ||
      !find("Service", String(subject.name), ns(s.doc), "serving.knative.dev")
    ) {
      problems.push(`${at(s)}: spec.subject must name a Knative Service defined here`);
    } else publicServices.add(String(subject.name));
    checkDestination(s, obj(s.doc.spec).sink, "spec.sink");
  }

  for (const s of knativeServices) {
    const name = s.doc.metadata.name;
    const template = obj(obj(s.doc.spec).template);
    const annotations = obj(obj(template.metadata).annotations);
    const visibility = obj(s.doc.metadata.labels)["networking.knative.dev/visibility"];
    const podSpec = obj(template.spec);
    if (consumers.has(name)) {
      if (visibility !== "cluster-local")
        problems.push(
          `${at(s)}: a consumer must be labelled networking.knative.dev/visibility: cluster-local`,
        );
      if (annotations["autoscaling.knative.dev/min-scale"] !== "0")
        problems.push(`${at(s)}: a consumer needs autoscaling.knative.dev/min-scale: "0"`);
      if (!(Number(podSpec.containerConcurrency) > 0))
        problems.push(`${at(s)}: a consumer needs a containerConcurrency above 0`);
      problems.push(
        ...checkDeadLetterEnv(containersOf(s.doc)[0], deadLetterSinks).map((p) => `${at(s)}: ${p}`),
      );
    } else if (deadLetterSinks.has(sinkAddress(name, ns(s.doc)))) {
      // A dead-letter sink is reached by the dispatchers and consumers only, never from outside.
      if (visibility !== "cluster-local")
        problems.push(
          `${at(s)}: a dead-letter sink must be labelled networking.knative.dev/visibility: cluster-local`,
        );
    } else if (publicServices.has(name)) {
      if (visibility === "cluster-local") problems.push(`${at(s)}: the ingress must be public`);
      if (annotations["autoscaling.knative.dev/min-scale"] !== "1")
        problems.push(`${at(s)}: the ingress needs autoscaling.knative.dev/min-scale: "1"`);
    } else
      problems.push(
        `${at(s)}: neither a Trigger's subscriber, a deadLetterSink nor a SinkBinding's subject`,
      );
    if (!(Number(annotations["autoscaling.knative.dev/max-scale"]) >= 1))
      problems.push(
        `${at(s)}: autoscaling.knative.dev/max-scale must be set (a bound on replicas)`,
      );
    if (!(Number(annotations["autoscaling.knative.dev/target"]) > 0))
      problems.push(`${at(s)}: autoscaling.knative.dev/target must be set`);
    // No function calls the Kubernetes API: no service account token in its pods.
    if (podSpec.automountServiceAccountToken !== false)
      problems.push(`${at(s)}: spec.template.spec.automountServiceAccountToken must be false`);
    for (const key of Object.keys(podSpec))
      if (!POD_FIELDS.has(key))
        problems.push(
          `${at(s)}: spec.template.spec.${key} is not accepted by Knative Serving without a feature flag`,
        );
    const containers = containersOf(s.doc);
    if (containers.length !== 1) {
      problems.push(`${at(s)}: needs exactly one container, has ${containers.length}`);
      continue;
    }
    problems.push(...checkContainer(containers[0]!, name, functions).map((p) => `${at(s)}: ${p}`));
  }

  problems.push(...findSecrets(docs));
  return problems;
}

const sinkAddress = (service: string, namespace: string) =>
  `http://${service}.${namespace}.svc.cluster.local`;

/**
 * A consumer hands refused events to a dead-letter sink before answering 400 (eventing-rabbitmq
 * acks a 400 as delivered): its K_DEAD_LETTER_SINK must be the cluster-local address of one of
 * the deadLetterSink Services, `http://<service>.<namespace>.svc.cluster.local`, in the
 * namespace that Service is in (else the name resolves nowhere, or to another deployment's sink).
 */
function checkDeadLetterEnv(
  container: Record<string, unknown> | undefined,
  sinks: ReadonlySet<string>,
): string[] {
  const env = Array.isArray(container?.env) ? (container.env as Record<string, unknown>[]) : [];
  const value = env.find((e) => e.name === DEAD_LETTER_SINK_ENV)?.value;
  if (typeof value !== "string")
    return [
      `env ${DEAD_LETTER_SINK_ENV} is required (the dead-letter sink's address): a refused event would vanish on a cluster`,
    ];
  if (!sinks.has(value.replace(/^https:/, "http:").replace(/\/$/, "")))
    return [
      `env ${DEAD_LETTER_SINK_ENV}=${value} must be a deadLetterSink Service's address, http://<service>.<namespace>.svc.cluster.local (${[...sinks].join(", ") || "none is defined"})`,
    ];
  return [];
}

function checkContainer(
  c: Record<string, unknown>,
  service: string,
  functions: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(c))
    if (!CONTAINER_FIELDS.has(key))
      problems.push(`container field ${key} is not accepted by Knative Serving`);
  const fn = imageFunction(c.image);
  if (fn !== service)
    problems.push(
      `image ${String(c.image)} must be the ${service} function's image (…/${service})`,
    );
  else if (!functions.includes(fn))
    problems.push(`image names function ${fn}, which has no functions/${fn}/main.ts`);
  const ports = Array.isArray(c.ports)
    ? (c.ports as unknown[]).map((p) => obj(p).containerPort)
    : [];
  if (ports.length !== 1)
    problems.push(`needs exactly one container port (Knative allows one), has ${ports.length}`);
  else if (RESERVED_PORTS.includes(Number(ports[0])))
    problems.push(`port ${String(ports[0])} is reserved by Knative`);
  else if (ports[0] !== 8080)
    problems.push(
      `port ${String(ports[0])}: the functions listen on PORT, which Knative sets to the declared port; keep 8080`,
    );
  for (const [probe, path] of [
    ["readinessProbe", READINESS_PATH],
    ["livenessProbe", LIVENESS_PATH],
  ] as const) {
    const get = obj(obj(c[probe]).httpGet);
    if (get.path !== path) problems.push(`${probe}.httpGet.path must be ${path}`);
    if (get.port !== undefined && get.port !== ports[0])
      problems.push(`${probe}.httpGet.port must be omitted or the container port`);
  }
  const resources = obj(c.resources);
  for (const kind of ["requests", "limits"])
    for (const r of ["cpu", "memory"])
      if (obj(resources[kind])[r] === undefined)
        problems.push(`resources.${kind}.${r} is required`);
  const sc = obj(c.securityContext);
  for (const key of Object.keys(sc))
    if (!SECURITY_CONTEXT_FIELDS.has(key))
      problems.push(`securityContext.${key} is not accepted by Knative Serving`);
  if (sc.runAsNonRoot !== true) problems.push("securityContext.runAsNonRoot must be true");
  if (sc.readOnlyRootFilesystem !== true)
    problems.push("securityContext.readOnlyRootFilesystem must be true");
  if (sc.allowPrivilegeEscalation !== false)
    problems.push("securityContext.allowPrivilegeEscalation must be false");
  return problems;
}

/** `leveler/order`, `r.io/a/order:1@sha256:…` → `order`: the repository's last path segment. */
export function imageFunction(image: unknown): string | undefined {
  if (typeof image !== "string") return undefined;
  const repo = image.split("@")[0]!.replace(/:[^/]*$/, "");
  return repo.split("/").pop();
}

/** No Secret objects, no inline credentials (user:password@ in a URL, literal password/token values). */
export function findSecrets(docs: readonly SourcedDoc[]): string[] {
  const problems: string[] = [];
  for (const d of docs) {
    if (d.doc.kind === "Secret")
      problems.push(
        `${d.file}: Secret ${d.doc.metadata.name}: credentials must not live in the manifests`,
      );
    visit(d.doc, "", (path, key, value) => {
      if (typeof value !== "string") return;
      if (/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value))
        problems.push(`${d.file}: ${path} holds a URL with credentials`);
      if (/(password|passwd|secret|token|apikey|api_key)$/i.test(key))
        problems.push(`${d.file}: ${path} looks like an inline credential`);
    });
    for (const c of containersOf(d.doc)) {
      for (const e of Array.isArray(c.env) ? (c.env as Record<string, unknown>[]) : []) {
        if (
          typeof e.name === "string" &&
          /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|CREDENTIALS)/.test(e.name) &&
          e.value !== undefined
        ) {
          problems.push(`${d.file}: env ${e.name} has an inline value; use valueFrom.secretKeyRef`);
        }
      }
    }
  }
  return problems;
}

function visit(
  node: unknown,
  path: string,
  fn: (path: string, key: string, value: unknown) => void,
): void {
  if (Array.isArray(node)) node.forEach((item, i) => visit(item, `${path}[${i}]`, fn));
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      const p = path ? `${path}.${key}` : key;
      fn(p, key, value);
      visit(value, p, fn);
    }
  }
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
