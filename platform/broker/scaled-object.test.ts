/**
 * ScaledObjects on Trigger dispatchers, as the manifests carry them. The Deployment name is
 * eventing-rabbitmq's (pkg/reconciler/trigger/resources/dispatcher.go, DispatcherName:
 * `<trigger>-dispatcher`); the field defaults are KEDA's (apis/keda/v1alpha1/scaledobject_types.go,
 * pkg/scalers/rabbitmq_scaler.go: deprecated `queueLength` means mode QueueLength with that value).
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildModel, loadManifests } from "../manifests.js";
import { HPA_DEFAULT_BEHAVIOR } from "./hpa-behavior.js";

const doc = (yaml: string) => ({ doc: parse(yaml) as Record<string, unknown>, file: "t.yaml" });
const base = [
  doc(`
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: ns }
`),
  doc(`
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: order, namespace: ns }
spec:
  template:
    metadata: { annotations: { autoscaling.knative.dev/max-scale: "4" } }
    spec:
      containerConcurrency: 20
      containers: [{ image: "leveler/order" }]
`),
  doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: order, namespace: ns, annotations: { rabbitmq.eventing.knative.dev/parallelism: "8" } }
spec: { broker: default, subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: order } } }
`),
];
const scaled = (spec: string, annotations = "{}") =>
  doc(`
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: so, namespace: ns, annotations: ${annotations} }
spec:
  scaleTargetRef: { name: order-dispatcher }
${spec}
`);

describe("ScaledObjects on Trigger dispatchers", () => {
  it("the shipped Triggers opt in, within what their Services take", () => {
    const model = loadManifests(["knative", "rabbitmq-eventing"]);
    for (const t of model.triggers) {
      expect(t.backlog, t.name).toBeDefined();
      expect(t.backlog!.pausedReplicas, t.name).toBeUndefined();
    }
    const order = model.triggers.find((t) => t.name === "order")!;
    expect(order.backlog).toMatchObject({ minReplicas: 1, maxReplicas: 10, value: 20 });
  });

  it("takes KEDA's defaults, and the deprecated queueLength as the value", () => {
    // A subscriber by URI sets no bound of its own.
    const byUri = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: order, namespace: ns }
spec: { broker: default, subscriber: { uri: "http://example.test/" } }
`);
    const model = buildModel([
      base[0]!,
      byUri,
      scaled(`  triggers: [{ type: rabbitmq, metadata: { queueName: q, queueLength: "5" } }]`),
    ]);
    expect(model.triggers[0]!.backlog).toEqual({
      name: "so",
      minReplicas: 0,
      maxReplicas: 100,
      pollingIntervalMs: 30_000,
      cooldownMs: 300_000,
      value: 5,
      activationValue: 0,
      behavior: HPA_DEFAULT_BEHAVIOR,
      hpaSyncMs: 15_000,
      countsUnacked: true,
    });
  });

  // KEDA hands advanced.horizontalPodAutoscalerConfig.behavior to the HPA as is; the API server
  // fills each rule set field by field (kubernetes pkg/apis/autoscaling/v2/defaults.go).
  it("reads the HPA behavior, filling what a rule set leaves out from the HPA's defaults", () => {
    const shipped = loadManifests(["knative", "rabbitmq-eventing"]).triggers.find(
      (t) => t.name === "order",
    )!.backlog!.behavior;
    expect(shipped).toEqual({
      scaleUp: HPA_DEFAULT_BEHAVIOR.scaleUp,
      scaleDown: { ...HPA_DEFAULT_BEHAVIOR.scaleDown, stabilizationMs: 10_000 },
    });
    const behavior = (yaml: string) =>
      buildModel([
        ...base,
        scaled(`  advanced: { horizontalPodAutoscalerConfig: { behavior: ${yaml} } }
  triggers: [{ type: rabbitmq, metadata: { queueName: q, value: "20" } }]`),
      ]).triggers[0]!.backlog!.behavior;
    expect(
      behavior(`{ scaleUp: { policies: [{ type: Pods, value: 2, periodSeconds: 30 }] } }`).scaleUp,
    ).toEqual({
      stabilizationMs: 0,
      selectPolicy: "Max",
      policies: [{ type: "Pods", value: 2, periodMs: 30_000 }],
    });
    // `behavior:` left empty in YAML is null, which the API server takes as unset.
    expect(behavior("null")).toEqual(HPA_DEFAULT_BEHAVIOR);
    expect(() => behavior(`{ scaleUp: { policies: [{ type: Pods, value: 2 }] } }`)).toThrow(
      /behavior\.scaleUp\.policies\[0\]\.periodSeconds=undefined must be an integer from 1 to 1800/,
    );
    expect(() => behavior(`{ scaleDown: { selectPolicy: Most } }`)).toThrow(
      /behavior\.scaleDown\.selectPolicy="Most" must be Max, Min or Disabled/,
    );
  });

  // keda-docs content/docs/2.18/scalers/rabbitmq-queue.md: over HTTP the queue length is ready +
  // unacknowledged unless excludeUnacknowledged (ParseBool); over AMQP ready only; auto goes by
  // the host's scheme.
  it.each([
    [
      "the shipped form: protocol http",
      `{ protocol: http, host: "http://r:15672", value: "20" }`,
      true,
    ],
    [
      "http, excludeUnacknowledged",
      `{ protocol: http, excludeUnacknowledged: "true", value: "20" }`,
      false,
    ],
    [
      "http, excludeUnacknowledged false",
      `{ protocol: http, excludeUnacknowledged: "False", value: "20" }`,
      true,
    ],
    ["protocol amqp", `{ protocol: amqp, value: "20" }`, false],
    ["auto with an amqp host", `{ host: "amqps://r:5671/", value: "20" }`, false],
    ["auto with an http host", `{ host: "http://r:15672/", value: "20" }`, true],
    ["auto, host only in a TriggerAuthentication", `{ value: "20" }`, true],
  ])("counts unacked deliveries as KEDA does: %s", (_, metadata, counts) => {
    const model = buildModel([
      ...base,
      scaled(`  triggers: [{ type: rabbitmq, metadata: ${metadata} }]`),
    ]);
    expect(model.triggers[0]!.backlog!.countsUnacked).toBe(counts);
  });

  it("refuses what KEDA would not read", () => {
    const build = (metadata: string) => () =>
      buildModel([...base, scaled(`  triggers: [{ type: rabbitmq, metadata: ${metadata} }]`)]);
    expect(build(`{ protocol: grpc, value: "20" }`)).toThrow(
      /protocol "grpc" must be auto, http or amqp/,
    );
    expect(build(`{ excludeUnacknowledged: "yes", value: "20" }`)).toThrow(
      /excludeUnacknowledged="yes" must be true or false/,
    );
  });

  it("never more deliveries in flight than the subscriber Service takes, and says so", () => {
    const triggers = `  triggers: [{ type: rabbitmq, metadata: { mode: QueueLength, value: "20" } }]`;
    const within = buildModel([...base, scaled(`  maxReplicaCount: 10\n${triggers}`)]);
    expect(within.triggers[0]!.backlog!.maxReplicas).toBe(10);
    expect(within.warnings).toEqual([]);
    const past = buildModel([...base, scaled(`  maxReplicaCount: 11\n${triggers}`)]);
    expect(past.triggers[0]!.backlog!.maxReplicas).toBe(10);
    expect(past.warnings.join("\n")).toMatch(
      /11 × parallelism 8 = 88 .*max-scale 4 × containerConcurrency 20 = 80.*set maxReplicaCount to 10/,
    );
  });

  it("pausing is one annotation: paused-replicas holds the dispatcher at that count", () => {
    const model = buildModel([
      ...base,
      scaled(
        `  maxReplicaCount: 10\n  triggers: [{ type: rabbitmq, metadata: { value: "20" } }]`,
        `{ autoscaling.keda.sh/paused-replicas: "1" }`,
      ),
    ]);
    expect(model.triggers[0]!.backlog!.pausedReplicas).toBe(1);
  });

  it("names what cannot run locally", () => {
    expect(() =>
      buildModel([
        ...base,
        scaled(`  triggers: [{ type: rabbitmq, metadata: { mode: MessageRate, value: "5" } }]`),
      ]),
    ).toThrow(/t\.yaml: ScaledObject so: .*"MessageRate": only QueueLength/);
    expect(() =>
      buildModel([...base, scaled(`  triggers: [{ type: kafka, metadata: {} }]`)]),
    ).toThrow(/type rabbitmq/);
  });

  it("warns about a ScaledObject that scales no Trigger's dispatcher", () => {
    const other = doc(`
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: x, namespace: ns }
spec:
  scaleTargetRef: { name: payment-dispatcher }
  triggers: [{ type: rabbitmq, metadata: { value: "1" } }]
`);
    const model = buildModel([...base, other]);
    expect(model.warnings.join("\n")).toMatch(
      /payment-dispatcher, which is no Trigger's dispatcher/,
    );
    expect(model.triggers[0]!.backlog).toBeUndefined();
  });
});
