import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { queueManifestArguments } from "./broker/topology.js";
import { buildModel, isoDurationMs, loadManifests } from "./manifests.js";

const doc = (yaml: string, file = "test.yaml") => ({
  doc: parse(yaml) as Record<string, unknown>,
  file,
});

const broker = doc(`
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: ns }
spec:
  delivery: { retry: 2, backoffPolicy: linear, backoffDelay: PT0.5S, timeout: PT10S }
`);
const service = doc(`
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: order, namespace: ns }
spec:
  template:
    spec:
      containers: [{ image: "registry.example/leveler/order:1.0" }]
`);

describe("manifests", () => {
  it("names the Trigger and annotation when a dispatcher's cpu-request is not a CPU quantity", () => {
    const trigger = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: ns, annotations: { rabbitmq.eventing.knative.dev/cpu-request: "lots" } }
spec: { broker: default, subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: order } } }
`);
    expect(() => buildModel([broker, service, trigger])).toThrow(
      /Trigger t.*cpu-request: "lots" is not a CPU quantity/,
    );
  });

  it("reads the project's own knative/ and rabbitmq-eventing/ into one topology", () => {
    const m = loadManifests(["knative", "rabbitmq-eventing"]);
    expect(m.brokers.map((b) => b.name)).toEqual(["default"]);
    expect(m.brokers[0]!.queueType).toBe("quorum");
    // The shipped Triggers and Services (a user's `leveler new` adds to them).
    expect(m.triggers.map((t) => t.name)).toEqual(
      expect.arrayContaining(["notification", "order", "payment", "report"]),
    );
    expect(m.services.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        "dead-letters",
        "ingress",
        "notification",
        "order",
        "payment",
        "report",
      ]),
    );
    // CPU requests become local scheduling weights: the ingress ten times a consumer or dispatcher.
    expect(m.services.find((s) => s.name === "ingress")!.cpuRequestMillis).toBe(1000);
    expect(m.services.find((s) => s.name === "order")!.cpuRequestMillis).toBe(100);
    expect(new Set(m.triggers.map((t) => t.cpuRequestMillis))).toEqual(new Set([100]));
    expect(m.sinkBindings.map((b) => b.subject.name).sort()).toEqual(["dead-letters", "ingress"]);
    for (const t of m.triggers) expect(Object.keys(t.filter)).toEqual(["type"]);
  });

  it("reads the RabbitmqCluster's CPU request (a private node's schedulers), naming a bad one", () => {
    expect(loadManifests(["knative", "rabbitmq-eventing"]).rabbitmqClusters).toEqual([
      {
        kind: "RabbitmqCluster",
        name: "leveler-rabbitmq",
        namespace: "leveler",
        file: "rabbitmq-eventing/rabbitmq-cluster.yaml",
        cpuRequestMillis: 1000,
      },
    ]);
    const cluster = (requests: string) =>
      doc(`
apiVersion: rabbitmq.com/v1beta1
kind: RabbitmqCluster
metadata: { name: r, namespace: ns }
spec: { resources: { requests: ${requests} } }
`);
    expect(
      buildModel([broker, cluster("{ cpu: 500m }")]).rabbitmqClusters[0]!.cpuRequestMillis,
    ).toBe(500);
    expect(
      buildModel([broker, cluster("{}")]).rabbitmqClusters[0]!.cpuRequestMillis,
    ).toBeUndefined();
    expect(() => buildModel([broker, cluster("{ cpu: lots }")])).toThrow(
      /RabbitmqCluster r: spec\.resources\.requests\.cpu: "lots" is not a CPU quantity/,
    );
  });

  it("reads the shipped Queue manifest as the topology operator declares it", () => {
    const m = loadManifests(["knative", "rabbitmq-eventing"]);
    expect(m.queues).toEqual([
      {
        kind: "Queue",
        name: "dead-letters",
        file: "rabbitmq-eventing/dead-letters-queue.yaml",
        queueName: "leveler-dead-letters",
        type: "quorum",
        durable: true,
        arguments: { "x-delivery-limit": 1_000_000 },
      },
    ]);
    expect(queueManifestArguments(m.queues[0]!)).toEqual({
      "x-queue-type": "quorum",
      "x-delivery-limit": 1_000_000,
    });
  });

  it("every shipped Trigger with its own delivery names a deadLetterSink (it replaces the Broker's)", () => {
    const m = loadManifests(["knative", "rabbitmq-eventing"]);
    for (const t of m.triggers)
      if (t.delivery) expect(t.delivery.deadLetterSink, t.file).toBeDefined();
    expect(m.brokers[0]!.delivery?.deadLetterSink?.ref?.name).toBe("dead-letters");
  });

  it("refuses a quorum Queue that is not durable, naming file and field", () => {
    const q = (spec: string) => () =>
      buildModel([
        {
          doc: parse(
            `apiVersion: rabbitmq.com/v1beta1\nkind: Queue\nmetadata: { name: q }\nspec: ${spec}`,
          ) as Record<string, unknown>,
          file: "q.yaml",
        },
      ]);
    expect(q("{ name: x, type: quorum }")).toThrow(
      /q.yaml: Queue q: a quorum queue must be durable/,
    );
    expect(q("{ name: x, type: lazy, durable: true }")).toThrow(/spec.type must be quorum/);
  });

  it("parses delivery durations and the parallelism annotation", () => {
    const trigger = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: order, namespace: ns, annotations: { rabbitmq.eventing.knative.dev/parallelism: "7" } }
spec:
  broker: default
  filter: { attributes: { type: t } }
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: order } }
`);
    const m = buildModel([broker, service, trigger]);
    expect(m.brokers[0]!.delivery).toEqual({
      retry: 2,
      backoffPolicy: "linear",
      backoffDelayMs: 500,
      timeoutMs: 10_000,
    });
    expect(m.triggers[0]!.parallelism).toBe(7);
    expect(m.services[0]!.bundle).toBe("order");
  });

  it("warns that spec.filters is ignored, as eventing-rabbitmq ignores it", () => {
    const trigger = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: ns }
spec: { broker: default, filters: [{ exact: { type: x } }], subscriber: { uri: "http://127.0.0.1:1/" } }
`);
    expect(buildModel([broker, trigger]).warnings[0]).toMatch(/spec.filters is ignored/);
  });

  it("refuses what cannot work, naming file, object and field", () => {
    const bad = (spec: string) =>
      doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: bad, namespace: ns, annotations: { rabbitmq.eventing.knative.dev/parallelism: "0" } }
spec: ${spec}
`);
    expect(() =>
      buildModel([broker, service, bad(`{ broker: default, subscriber: { uri: "http://x/" } }`)]),
    ).toThrow(/Trigger bad: annotation rabbitmq.eventing.knative.dev\/parallelism="0"/);
    const noBroker = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: ns }
spec: { broker: nope, subscriber: { uri: "http://x/" } }
`);
    expect(() => buildModel([broker, noBroker])).toThrow(/spec.broker "nope"/);
    const missingService = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t, namespace: ns }
spec: { broker: default, subscriber: { ref: { kind: Service, name: ghost } } }
`);
    expect(() => buildModel([broker, missingService])).toThrow(/Service ns\/ghost/);
  });

  it("refuses containerConcurrency above Knative's limit of 1000, naming the Service", () => {
    // knative/serving@98e5ef90 pkg/apis/serving/metadata_validation.go (ValidateContainerConcurrency)
    // with container-concurrency-max-limit's default, pkg/apis/config/defaults.go.
    const withCc = (cc: number) =>
      doc(`
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: order, namespace: ns }
spec:
  template:
    spec:
      containerConcurrency: ${cc}
      containers: [{ image: "registry.example/leveler/order:1.0" }]
`);
    expect(buildModel([broker, withCc(1000)]).services[0]!.containerConcurrency).toBe(1000);
    expect(() => buildModel([broker, withCc(1001)])).toThrow(
      /^test.yaml: Service order: spec.template.spec.containerConcurrency=1001 must be an integer from 0 to 1000$/,
    );
  });

  it("ISO-8601 durations", () => {
    expect(isoDurationMs("PT0.2S", "x")).toBe(200);
    expect(isoDurationMs("PT1M30S", "x")).toBe(90_000);
    expect(() => isoDurationMs("2s", "spec.delivery.backoffDelay")).toThrow(
      /spec.delivery.backoffDelay="2s" is not an ISO-8601 duration/,
    );
  });
});
