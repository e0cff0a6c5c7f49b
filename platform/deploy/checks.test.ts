/**
 * The cross-checks on the real manifests (source and rendered), each check shown to bite on a
 * broken copy, and the probe paths proven against the function runtime itself.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemas } from "../../functions/events/schemas.js";
import { serve } from "../../lib/runtime/serve.js";
import { loadManifests } from "../manifests.js";
import { checkManifests, imageFunction, LIVENESS_PATH, READINESS_PATH } from "./checks.js";
import { listFunctions } from "./deploy.js";
import { loadKustomization, renderDocs, type SourcedDoc } from "./render.js";

const root = join(import.meta.dirname, "..", "..");
const eventTypes = schemas.map((s) => s.$id);
const functions = listFunctions(root);
const sources = () => loadKustomization(join(root, "knative"), root);
const check = (docs: SourcedDoc[]) => checkManifests({ docs, eventTypes, functions });
/** Sets (or, with undefined, deletes) the value at a dotted path; `+` appends to an array. */
function edit(kind: string, name: string | undefined, path: string, value: unknown): SourcedDoc[] {
  const docs = sources();
  const d = docs.find((x) => x.doc.kind === kind && (!name || x.doc.metadata.name === name));
  if (!d) throw new Error(`no ${kind} ${name ?? ""}`);
  const keys = path.split(".");
  const last = keys.pop()!;
  let node = d.doc as Record<string, unknown>;
  for (const key of keys) node = (node[key] ??= {}) as Record<string, unknown>;
  if (last === "+") (node as unknown as unknown[]).push(value);
  else if (value === undefined) delete node[last];
  else node[last] = value;
  return docs;
}
const C = "spec.template.spec.containers.0";
const scale = { "autoscaling.knative.dev/max-scale": "4", "autoscaling.knative.dev/target": "4" };

describe("cross-checks", () => {
  it("pass on knative/ + rabbitmq-eventing/ as kustomization.yaml lists them", () => {
    expect(check(sources())).toEqual([]);
  });

  it("pass on the rendered output in another namespace with pushed images", () => {
    const images = new Map(
      functions.map((f) => [f, `ghcr.io/acme/leveler/${f}:1@sha256:${"b".repeat(64)}`]),
    );
    const rendered = renderDocs(sources(), { namespace: "shop", images });
    expect(check(rendered)).toEqual([]);
    expect(
      rendered.every((d) =>
        d.doc.kind === "Namespace"
          ? d.doc.metadata.name === "shop"
          : d.doc.metadata.namespace === "shop",
      ),
    ).toBe(true);
  });

  it("every manifest the cluster gets is listed in kustomization.yaml, and only config-autoscaler and the deployer's RBAC are left out", () => {
    const listed = new Set(sources().map((d) => d.file));
    const model = loadManifests(
      ["knative", "rabbitmq-eventing"].map((d) => join(root, d)),
      root,
    );
    const all = [...model.services, ...model.brokers, ...model.triggers, ...model.sinkBindings].map(
      (s) => s.file,
    );
    for (const file of all) expect(listed, file).toContain(file);
    const onDisk = ["knative", "knative/services", "knative/triggers", "rabbitmq-eventing"].flatMap(
      (dir) =>
        readdirSync(join(root, dir))
          .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
          .map((f) => `${dir}/${f}`),
    );
    const left = onDisk.filter((f) => !listed.has(f));
    expect(left).toEqual(["knative/config-autoscaler.yaml", "knative/deployer-rbac.yaml"]);
  });

  it("the functions really answer the probe paths the manifests name", async () => {
    const running = await serve({
      listener: (_req, res) => res.end(),
      port: 0,
      name: "probe-test",
      log: () => undefined,
    });
    try {
      for (const path of [READINESS_PATH, LIVENESS_PATH])
        expect((await fetch(`http://127.0.0.1:${running.port}${path}`)).status, path).toBe(200);
    } finally {
      await running.shutdown();
    }
  });

  it("reads the function from an image reference", () => {
    expect(imageFunction("leveler/order")).toBe("order");
    expect(imageFunction("localhost:5000/a/b/payment:abc@sha256:" + "c".repeat(64))).toBe(
      "payment",
    );
  });

  const broken: [string, () => SourcedDoc[], RegExp][] = [
    [
      "a Trigger naming a missing Broker",
      () => edit("Trigger", "order", "spec.broker", "nope"),
      /spec.broker "nope"/,
    ],
    [
      "a Trigger naming a missing subscriber",
      () => edit("Trigger", "order", "spec.subscriber.ref.name", "ghost"),
      /names Service ghost/,
    ],
    [
      "a Trigger using spec.filters",
      () => edit("Trigger", "order", "spec.filters", [{ exact: { type: "x" } }]),
      /spec.filters is ignored/,
    ],
    [
      "an accepted type without a Trigger",
      () => edit("Trigger", "payment", "spec.filter.attributes.type", "com.example.order.created"),
      /com.example.payment.requested has 0 Triggers/,
    ],
    ["a public consumer", () => edit("Service", "order", "metadata.labels", {}), /cluster-local/],
    [
      "a consumer that never scales to zero",
      () =>
        edit("Service", "report", "spec.template.metadata.annotations", {
          ...scale,
          "autoscaling.knative.dev/min-scale": "1",
        }),
      /min-scale: "0"/,
    ],
    [
      "an ingress that can be cold",
      () =>
        edit("Service", "ingress", "spec.template.metadata.annotations", {
          ...scale,
          "autoscaling.knative.dev/min-scale": "0",
        }),
      /min-scale: "1"/,
    ],
    [
      "a second port",
      () => edit("Service", "order", `${C}.ports.+`, { containerPort: 9464 }),
      /exactly one container port/,
    ],
    [
      "a reserved port",
      () => edit("Service", "order", `${C}.ports`, [{ containerPort: 8012 }]),
      /reserved by Knative/,
    ],
    [
      "a probe elsewhere",
      () => edit("Service", "order", `${C}.readinessProbe.httpGet.path`, "/ready"),
      /readinessProbe.httpGet.path/,
    ],
    [
      "a field Knative drops",
      () => edit("Service", "order", `${C}.lifecycle`, {}),
      /lifecycle is not accepted/,
    ],
    [
      "a pod field Knative drops",
      () => edit("Service", "order", "spec.template.spec.hostNetwork", true),
      /hostNetwork is not accepted/,
    ],
    [
      "root allowed",
      () => edit("Service", "order", `${C}.securityContext.runAsNonRoot`, false),
      /runAsNonRoot/,
    ],
    [
      "no limits",
      () => edit("Service", "order", `${C}.resources.limits`, undefined),
      /resources.limits.cpu/,
    ],
    [
      "another function's image",
      () => edit("Service", "order", `${C}.image`, "leveler/payment"),
      /order function's image/,
    ],
    [
      "the default broker class",
      () =>
        edit("Broker", undefined, "metadata.annotations", {
          "eventing.knative.dev/broker.class": "MTChannelBasedBroker",
        }),
      /RabbitMQBroker/,
    ],
    [
      "a missing RabbitmqBrokerConfig",
      () => edit("Broker", undefined, "spec.config.name", "other"),
      /RabbitmqBrokerConfig other/,
    ],
    [
      "a dead-letter sink that does not resolve",
      () =>
        edit("Broker", undefined, "spec.delivery.deadLetterSink", {
          ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "dlq" },
        }),
      /deadLetterSink.ref names Service dlq/,
    ],
    [
      "a Broker without a dead-letter sink (eventing-rabbitmq drops failed events then)",
      () => edit("Broker", undefined, "spec.delivery.deadLetterSink", undefined),
      /spec.delivery.deadLetterSink is required/,
    ],
    [
      "a Trigger whose own delivery has no dead-letter sink (it replaces the Broker's whole)",
      () => edit("Trigger", "order", "spec.delivery", { retry: 3 }),
      /Trigger order: spec.delivery replaces the Broker's whole delivery/,
    ],
    [
      "a Trigger's own dead-letter sink that does not resolve",
      () =>
        edit("Trigger", "order", "spec.delivery", {
          deadLetterSink: {
            ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "x" },
          },
        }),
      /Trigger order: spec.delivery.deadLetterSink.ref names Service x/,
    ],
    [
      "a consumer without the dead-letter sink's address",
      () => edit("Service", "payment", `${C}.env`, []),
      /Service payment: env K_DEAD_LETTER_SINK is required/,
    ],
    [
      "a consumer handing refusals to something that is not a dead-letter sink",
      () =>
        edit("Service", "report", `${C}.env`, [
          { name: "K_DEAD_LETTER_SINK", value: "http://order.leveler.svc.cluster.local" },
        ]),
      /K_DEAD_LETTER_SINK=http:\/\/order.leveler.svc.cluster.local must be/,
    ],
    [
      "a consumer handing refusals to the dead-letter sink of another namespace",
      () =>
        edit("Service", "report", `${C}.env`, [
          { name: "K_DEAD_LETTER_SINK", value: "http://dead-letters.elsewhere.svc.cluster.local" },
        ]),
      /K_DEAD_LETTER_SINK=http:\/\/dead-letters.elsewhere.svc.cluster.local must be a deadLetterSink Service's address, http:\/\/<service>.<namespace>.svc.cluster.local \(http:\/\/dead-letters.leveler.svc.cluster.local\)/,
    ],
    [
      "a public dead-letter sink",
      () => edit("Service", "dead-letters", "metadata.labels", {}),
      /Service dead-letters: a dead-letter sink must be labelled/,
    ],
    [
      "classic queues",
      () => edit("RabbitmqBrokerConfig", undefined, "spec.queueType", "classic"),
      /quorum/,
    ],
    [
      "a queue bound that misses the Trigger queues",
      () => edit("OperatorPolicy", undefined, "spec.pattern", "^other\\."),
      /does not match Trigger/,
    ],
    [
      "an inline credential",
      () =>
        edit("Service", "ingress", `${C}.env.+`, {
          name: "AMQP_URL",
          value: "amqp://guest:guest@rabbit:5672",
        }),
      /URL with credentials/,
    ],
    [
      "a password in env",
      () => edit("Service", "ingress", `${C}.env.+`, { name: "RABBITMQ_PASSWORD", value: "x" }),
      /inline value/,
    ],
  ];
  it.each(broken)("catch %s", (_what, make, message) => {
    expect(check(make()).join("\n")).toMatch(message);
  });
});
