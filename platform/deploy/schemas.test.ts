/**
 * Every manifest in knative/ and rabbitmq-eventing/, and every document `leveler deploy` renders,
 * validated against the real schemas: Knative kinds with @kubernetes-models/knative (JSON Schema
 * generated from Knative's own OpenAPI), core kinds with kubernetes-models (Kubernetes' OpenAPI),
 * the RabbitMQ kinds with the CRD schemas vendored in ./schemas (sources named in each file), the
 * KEDA kinds with @kubernetes-models/keda (generated from KEDA's CRDs).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Broker } from "@kubernetes-models/knative/eventing.knative.dev/v1/Broker";
import { Trigger } from "@kubernetes-models/knative/eventing.knative.dev/v1/Trigger";
import { Service as KnativeService } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import { SinkBinding } from "@kubernetes-models/knative/sources.knative.dev/v1/SinkBinding";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { Ajv } from "ajv";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import brokerConfigSchema from "./schemas/rabbitmqbrokerconfig.v1alpha1.json" with { type: "json" };
import clusterSchema from "./schemas/rabbitmqcluster.v1beta1.json" with { type: "json" };
import operatorPolicySchema from "./schemas/operatorpolicy.v1beta1.json" with { type: "json" };
import queueSchema from "./schemas/queue.v1beta1.json" with { type: "json" };
import { loadKustomization, renderDocs, type KubeDoc } from "./render.js";

const root = join(import.meta.dirname, "..", "..");
const ajv = new Ajv({
  allErrors: true,
  formats: { int32: true, int64: true, "date-time": true },
});
const validateCluster = ajv.compile(clusterSchema);
const validateBrokerConfig = ajv.compile(brokerConfigSchema);
const validateOperatorPolicy = ajv.compile(operatorPolicySchema);
const validateQueue = ajv.compile(queueSchema);

/** Throws with the validator's message when `doc` does not match its kind's schema. */
export function validateAgainstSchema(doc: KubeDoc): void {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const data = doc as never;
  switch (key) {
    case "serving.knative.dev/v1/Service":
      return new KnativeService(data).validate();
    case "eventing.knative.dev/v1/Broker":
      return new Broker(data).validate();
    case "eventing.knative.dev/v1/Trigger":
      return new Trigger(data).validate();
    case "sources.knative.dev/v1/SinkBinding":
      // The generated model lists `status` as required (Knative's Go type serialises it without
      // omitempty); the API server takes status only through the status subresource, so a
      // manifest never carries one. An empty status stands in for it.
      return new SinkBinding({ status: {}, ...(doc as object) } as never).validate();
    case "v1/ConfigMap":
      return new ConfigMap(data).validate();
    case "v1/Namespace":
      return new Namespace(data).validate();
    case "networking.k8s.io/v1/NetworkPolicy":
      return new NetworkPolicy(data).validate();
    case "policy/v1/PodDisruptionBudget":
      return new PodDisruptionBudget(data).validate();
    case "rbac.authorization.k8s.io/v1/ClusterRole":
      return new ClusterRole(data).validate();
    case "keda.sh/v1alpha1/ScaledObject":
      return new ScaledObject(data).validate();
    case "keda.sh/v1alpha1/TriggerAuthentication":
      return new TriggerAuthentication(data).validate();
    case "rabbitmq.com/v1beta1/RabbitmqCluster":
      if (!validateCluster(doc)) throw new Error(ajv.errorsText(validateCluster.errors));
      return;
    case "rabbitmq.com/v1beta1/OperatorPolicy":
      if (!validateOperatorPolicy(doc))
        throw new Error(ajv.errorsText(validateOperatorPolicy.errors));
      return;
    case "rabbitmq.com/v1beta1/Queue": {
      if (!validateQueue(doc)) throw new Error(ajv.errorsText(validateQueue.errors));
      // The topology operator's webhook (api/v1beta1/queue_webhook.go, ValidateCreate at v1.15.0):
      // "Quorum queues must have durable set to true".
      const spec = (doc as unknown as { spec: { type?: string; durable?: boolean } }).spec;
      if (spec.type === "quorum" && spec.durable !== true)
        throw new Error("spec.durable: quorum queues must have durable set to true");
      return;
    }
    case "eventing.knative.dev/v1alpha1/RabbitmqBrokerConfig":
      if (!validateBrokerConfig(doc)) throw new Error(ajv.errorsText(validateBrokerConfig.errors));
      return;
    default:
      throw new Error(`no schema for ${key}: add one before using this kind`);
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) && entry !== "kustomization.yaml" ? [path] : [];
  });
}

const sourceDocs = ["knative", "rabbitmq-eventing"].flatMap((dir) =>
  yamlFiles(join(root, dir)).flatMap((path) =>
    parseAllDocuments(readFileSync(path, "utf8")).map((parsed, i) => {
      expect(parsed.errors, `${path}`).toEqual([]);
      return { file: `${relative(root, path)}#${i}`, doc: parsed.toJS() as KubeDoc };
    }),
  ),
);

describe("manifests against the real schemas", () => {
  it("finds every kind leveler uses", () => {
    const kinds = new Set(sourceDocs.map((d) => d.doc.kind));
    for (const kind of [
      "Service",
      "Broker",
      "Trigger",
      "SinkBinding",
      "RabbitmqCluster",
      "RabbitmqBrokerConfig",
      "OperatorPolicy",
      "Queue",
      "Namespace",
      "ConfigMap",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "ClusterRole",
      "ScaledObject",
      "TriggerAuthentication",
    ])
      expect(kinds).toContain(kind);
  });

  it.each(sourceDocs.map((d) => [d.file, d.doc] as const))("%s validates", (_file, doc) => {
    expect(() => validateAgainstSchema(doc)).not.toThrow();
  });

  it("validates every document the deploy renders, in another namespace with pushed images", () => {
    const images = new Map(
      ["ingress", "order", "payment", "notification", "report", "dead-letters"].map((f) => [
        f,
        `registry.example:5000/acme/${f}:abc@sha256:${"a".repeat(64)}`,
      ]),
    );
    const rendered = renderDocs(loadKustomization(join(root, "knative"), root), {
      namespace: "shop",
      images,
    });
    expect(rendered.length).toBeGreaterThan(10);
    for (const { doc, file } of rendered)
      expect(() => validateAgainstSchema(doc), file).not.toThrow();
    // The ScaledObjects follow: their queue (`<namespace>.<trigger>.<uid>`) and RabbitMQ's Service.
    const scaled = rendered.find((d) => d.doc.kind === "ScaledObject")!.doc as KubeDoc & {
      spec: { triggers: { metadata: Record<string, string> }[] };
    };
    expect(scaled.spec.triggers[0]!.metadata.queueName).toMatch(/^\^shop\\\./);
    expect(scaled.spec.triggers[0]!.metadata.host).toContain(".shop.svc:");
  });

  it("catches what the schemas forbid (so the checks above are not vacuous)", () => {
    const service = sourceDocs.find((d) => d.doc.kind === "Service")!.doc;
    const bad = structuredClone(service) as KubeDoc & {
      spec: { template: { spec: { containerConcurrency: unknown } } };
    };
    bad.spec.template.spec.containerConcurrency = "lots";
    expect(() => validateAgainstSchema(bad)).toThrow();
    const trigger = structuredClone(
      sourceDocs.find((d) => d.doc.kind === "Trigger")!.doc,
    ) as KubeDoc & { spec: { broker: unknown } };
    trigger.spec.broker = 42;
    expect(() => validateAgainstSchema(trigger)).toThrow();
    const config = structuredClone(
      sourceDocs.find((d) => d.doc.kind === "RabbitmqBrokerConfig")!.doc,
    ) as KubeDoc & { spec: Record<string, unknown> };
    config.spec.queueType = "stream";
    expect(() => validateAgainstSchema(config)).toThrow(/queueType/);
    config.spec.queueType = "quorum";
    config.spec.rabbitmqClusterRef = { name: "x" };
    expect(() => validateAgainstSchema(config)).toThrow(/additional/);
    const cluster = structuredClone(
      sourceDocs.find((d) => d.doc.kind === "RabbitmqCluster")!.doc,
    ) as KubeDoc & { spec: Record<string, unknown> };
    cluster.spec.replicas = -1;
    expect(() => validateAgainstSchema(cluster)).toThrow(/replicas/);
    const policy = structuredClone(
      sourceDocs.find((d) => d.doc.kind === "NetworkPolicy")!.doc,
    ) as KubeDoc & { spec: { policyTypes: unknown } };
    policy.spec.policyTypes = "Ingress";
    expect(() => validateAgainstSchema(policy)).toThrow();
    const queue = structuredClone(
      sourceDocs.find((d) => d.doc.kind === "Queue")!.doc,
    ) as KubeDoc & { spec: Record<string, unknown> };
    queue.spec.durable = false;
    expect(() => validateAgainstSchema(queue)).toThrow(/durable/);
    queue.spec.durable = true;
    // Added to the CRD after v1.15.0, the operator version the README installs.
    queue.spec.deletionPolicy = "retain";
    expect(() => validateAgainstSchema(queue)).toThrow(/additional/);
    delete queue.spec.deletionPolicy;
    delete queue.spec.rabbitmqClusterReference;
    expect(() => validateAgainstSchema(queue)).toThrow(/rabbitmqClusterReference/);
    const scaled = structuredClone(
      sourceDocs.find((d) => d.doc.kind === "ScaledObject")!.doc,
    ) as KubeDoc & { spec: Record<string, unknown> };
    scaled.spec.maxReplicaCount = "ten";
    expect(() => validateAgainstSchema(scaled)).toThrow(/maxReplicaCount/);
    delete scaled.spec.maxReplicaCount;
    delete scaled.spec.scaleTargetRef;
    expect(() => validateAgainstSchema(scaled)).toThrow(/scaleTargetRef/);
  });
});
