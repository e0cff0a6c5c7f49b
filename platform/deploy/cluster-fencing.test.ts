/**
 * The cluster side's fences (issue 18): NetworkPolicies that select the pods Knative and
 * eventing-rabbitmq really label, the namespace's Pod Security labels, no service account token
 * in the functions, and the deployer's RBAC equal to what `leveler deploy` applies.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadKustomization, renderDocs, type KubeDoc } from "./render.js";

const root = join(import.meta.dirname, "..", "..");
const rendered = renderDocs(loadKustomization(join(root, "knative"), root), { namespace: "shop" });
const docs = rendered.map((d) => d.doc);
const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Policy {
  spec: {
    podSelector: Selector;
    ingress: {
      from: { namespaceSelector?: Selector; podSelector?: Selector }[];
      ports?: { port: number }[];
    }[];
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Whether a NetworkPolicy label selector selects a pod with these labels (matchLabels, matchExpressions). */
function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    if (e.operator === "Exists" && value === undefined) return false;
    if (e.operator === "DoesNotExist" && value !== undefined) return false;
    if (e.operator === "In" && !(value !== undefined && e.values!.includes(value))) return false;
    if (e.operator === "NotIn" && value !== undefined && e.values!.includes(value)) return false;
  }
  return true;
}

interface Peer {
  namespace: string;
  labels: Record<string, string>;
}

/** Whether the namespace's policies let `from` open `port` on a pod with `labels` in "shop". */
function allowed(labels: Record<string, string>, from: Peer, port: number): boolean {
  const policies = (ofKind("NetworkPolicy") as unknown as Policy[]).filter((p) =>
    selects(p.spec.podSelector, labels),
  );
  if (policies.length === 0) return true; // not isolated
  return policies.some((p) =>
    p.spec.ingress.some(
      (rule) =>
        (!rule.ports || rule.ports.some((r) => r.port === port)) &&
        rule.from.some((peer) => {
          const nsLabels = { "kubernetes.io/metadata.name": from.namespace };
          const nsOk = peer.namespaceSelector
            ? selects(peer.namespaceSelector, nsLabels)
            : from.namespace === "shop";
          const podOk = peer.podSelector ? selects(peer.podSelector, from.labels) : true;
          return nsOk && podOk;
        }),
    ),
  );
}

// The labels upstream sets, at the commits knative/network-policies.yaml names.
const consumerPod = {
  "serving.knative.dev/service": "order",
  "serving.knative.dev/revision": "order-00001",
  app: "order-00001",
};
const ingressFunctionPod = { "serving.knative.dev/service": "ingress", app: "ingress-00001" };
const activator = { namespace: "knative-serving", labels: { app: "activator" } };
const autoscaler = { namespace: "knative-serving", labels: { app: "autoscaler" } };
const gateway = { namespace: "kourier-system", labels: { app: "3scale-kourier-gateway" } };
const dispatcher = {
  namespace: "shop",
  labels: {
    "eventing.knative.dev/broker": "default",
    "eventing.knative.dev/brokerRole": "dispatcher",
  },
};
const brokerIngressPod = {
  "eventing.knative.dev/broker": "default",
  "eventing.knative.dev/brokerRole": "ingress",
};
const monitoring = { namespace: "monitoring", labels: { app: "prometheus" } };
const strangerHere = { namespace: "shop", labels: { app: "debug" } };
const strangerElsewhere = { namespace: "other", labels: { app: "attacker" } };

describe("cluster fencing", () => {
  it("consumers take traffic from Knative's data plane and the dispatchers only", () => {
    for (const peer of [activator, autoscaler, gateway, dispatcher])
      expect(allowed(consumerPod, peer, 8012), JSON.stringify(peer)).toBe(true);
    for (const peer of [strangerHere, strangerElsewhere, monitoring])
      expect(allowed(consumerPod, peer, 8012), JSON.stringify(peer)).toBe(false);
  });

  it("metrics only for the monitoring namespace", () => {
    expect(allowed(consumerPod, monitoring, 9464)).toBe(true);
    expect(allowed(ingressFunctionPod, monitoring, 9464)).toBe(true);
    expect(allowed(consumerPod, strangerElsewhere, 9464)).toBe(false);
    expect(allowed(brokerIngressPod, monitoring, 9090)).toBe(true);
  });

  it("the Broker's ingress takes events from leveler's ingress and the dispatchers only", () => {
    const ingressFn = { namespace: "shop", labels: ingressFunctionPod };
    expect(allowed(brokerIngressPod, ingressFn, 8080)).toBe(true);
    expect(allowed(brokerIngressPod, dispatcher, 8080)).toBe(true);
    for (const peer of [strangerHere, strangerElsewhere, { ...ingressFn, namespace: "other" }])
      expect(allowed(brokerIngressPod, peer, 8080), JSON.stringify(peer)).toBe(false);
  });

  it("the namespace carries the Pod Security labels; functions mount no service account token", () => {
    const [ns] = ofKind("Namespace");
    expect(ns!.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    const services = ofKind("Service");
    // Every Knative Service the folder ships, one per file in knative/services.
    expect(services.length).toBe(
      readdirSync(join(root, "knative", "services")).filter((f) => f.endsWith(".yaml")).length,
    );
    for (const s of services as unknown as {
      metadata: { name: string };
      spec: { template: { spec: { automountServiceAccountToken?: boolean } } };
    }[])
      expect(s.spec.template.spec.automountServiceAccountToken, s.metadata.name).toBe(false);
  });

  it("the deployer's RBAC is exactly create and patch on what the deploy applies, get and delete on what --replace recreates", () => {
    const roles = parseAllDocuments(
      readFileSync(join(root, "knative", "deployer-rbac.yaml"), "utf8"),
    )
      .map((d) => d.toJS() as KubeDoc & { rules: Rule[] })
      .filter((d) => d.kind === "ClusterRole");
    const granted = new Set<string>();
    for (const role of roles)
      for (const rule of role.rules) {
        expect(rule.verbs).toEqual(
          rule.apiGroups.join() === "eventing.knative.dev"
            ? ["create", "patch", "get", "delete"]
            : ["create", "patch"],
        );
        for (const group of rule.apiGroups)
          for (const resource of rule.resources) granted.add(`${group}/${resource}`);
      }
    const plural = (kind: string) =>
      kind.toLowerCase().endsWith("y")
        ? `${kind.toLowerCase().slice(0, -1)}ies`
        : `${kind.toLowerCase()}s`;
    const needed = new Set(
      docs.map((d) => {
        const group = d.apiVersion.includes("/") ? d.apiVersion.split("/")[0] : "";
        return `${group}/${plural(d.kind)}`;
      }),
    );
    expect([...granted].sort()).toEqual([...needed].sort());
  });
});
