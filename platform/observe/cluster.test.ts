/**
 * `leveler observe --cluster` against a stand-in API server (plain HTTP) answering the pod list,
 * the Triggers, the dispatcher Deployments (only to the label selector eventing-rabbitmq's
 * Deployments carry) and KEDA's ScaledObjects, each as the real API server shapes them.
 * Untested without a cluster: real RBAC, KEDA writing its conditions.
 */
import { createServer, type Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { kubeConfigFor } from "../deploy/stand-in-cluster.js";
import { observeCluster } from "./cluster.js";

const pod = (service: string, name: string, ready: boolean) => ({
  metadata: { name, labels: { "serving.knative.dev/service": service } },
  status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

const trigger = (name: string, subscriber: object) => ({
  apiVersion: "eventing.knative.dev/v1",
  kind: "Trigger",
  metadata: { name, namespace: "leveler" },
  spec: { broker: "default", subscriber },
});

const ref = (name: string) => ({
  ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name },
});

/** A dispatcher Deployment as eventing-rabbitmq labels it, `desired` set by KEDA's HPA. */
const deployment = (trigger: string, desired: number, ready: number) => ({
  metadata: {
    name: `${trigger}-dispatcher`,
    labels: {
      "eventing.knative.dev/broker": "default",
      "eventing.knative.dev/brokerRole": "dispatcher",
    },
  },
  spec: {
    replicas: desired,
    selector: { matchLabels: { "eventing.knative.dev/brokerRole": "dispatcher" } },
    template: { spec: { containers: [{ name: "dispatcher", image: "x" }] } },
  },
  status: { replicas: desired, readyReplicas: ready },
});

const scaledObject = (trigger: string, conditions: Record<string, string>) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "ScaledObject",
  metadata: { name: `${trigger}-dispatcher`, namespace: "leveler" },
  spec: { scaleTargetRef: { name: `${trigger}-dispatcher` } },
  status: {
    conditions: Object.entries(conditions).map(([type, status]) => ({ type, status })),
  },
});

describe("leveler observe --cluster", () => {
  let server: Server;
  let kc: KubeConfig;
  /** What the stand-in answers; each test sets its own. */
  let cluster: {
    kedaInstalled: boolean;
    triggersForbidden: boolean;
    orderDispatchers: number[];
  };
  let reads = 0;

  beforeEach(() => {
    cluster = { kedaInstalled: true, triggersForbidden: false, orderDispatchers: [4] };
    reads = 0;
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      const send = (status: number, body: unknown) => {
        res.statusCode = status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      };
      const list = (kind: string, items: unknown[]) =>
        send(200, { kind: `${kind}List`, metadata: {}, items });
      const status = (code: number, message: string) =>
        send(code, { kind: "Status", apiVersion: "v1", status: "Failure", message, code });
      switch (url.pathname) {
        case "/api/v1/namespaces/leveler/pods":
          return list("Pod", [
            pod("ingress", "ingress-00001-a", true),
            pod("order", "order-00001-a", true),
            pod("order", "order-00001-b", false),
          ]);
        case "/apis/eventing.knative.dev/v1/namespaces/leveler/triggers":
          if (cluster.triggersForbidden)
            return status(
              403,
              'triggers.eventing.knative.dev is forbidden: User "alice" cannot list resource "triggers"',
            );
          return list("Trigger", [
            trigger("order", ref("order")),
            trigger("payment", ref("payment")),
            trigger("notification", ref("notification")),
            trigger("report", ref("report")),
            // Not reconciled yet: eventing-rabbitmq has made no Deployment for it.
            trigger("audit", { uri: "http://audit.leveler.svc.cluster.local" }),
          ]);
        case "/apis/apps/v1/namespaces/leveler/deployments": {
          // Knative's revision Deployments live here too; only the selector keeps them out.
          if (
            url.searchParams.get("labelSelector") !== "eventing.knative.dev/brokerRole=dispatcher"
          )
            return list("Deployment", [deployment("order-00001", 1, 1)]);
          const { orderDispatchers } = cluster;
          const desired = orderDispatchers[Math.min(reads++, orderDispatchers.length - 1)]!;
          return list("Deployment", [
            deployment("order", desired, Math.min(desired, 3)),
            deployment("payment", 1, 1),
            deployment("notification", 1, 1),
            deployment("report", 2, 2),
          ]);
        }
        case "/apis/keda.sh/v1alpha1/namespaces/leveler/scaledobjects":
          if (!cluster.kedaInstalled)
            return status(404, "the server could not find the requested resource");
          return list("ScaledObject", [
            scaledObject("order", { Ready: "True", Active: "True", Paused: "False" }),
            scaledObject("payment", { Ready: "True", Active: "False" }),
            scaledObject("notification", { Ready: "True", Active: "False", Paused: "True" }),
            // report's was deleted: a fixed pace.
          ]);
      }
      status(404, "not found");
    });
    kc = await kubeConfigFor(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function screenOnce(): Promise<string[]> {
    let screen = "";
    await observeCluster("leveler", { once: true, intervalMs: 0 }, kc, (t) => (screen += t));
    return screen.split("\n");
  }
  const rowOf = (lines: string[], name: string) => lines.find((l) => l.startsWith(`${name} `));

  it("shows each consumer's dispatcher Deployments, ready/desired and the ScaledObject's state", async () => {
    const lines = await screenOnce();
    expect(lines.find((l) => l.startsWith("FUNCTION"))).toMatch(/DELIVERING\s+DISPATCHERS$/);
    expect(rowOf(lines, "order")).toMatch(/^order\s+2\s+1\s+-\s+-\s+-\s+-\s+3\/4 active$/);
    // At zero: no pods, its dispatcher still at the base pace.
    expect(rowOf(lines, "payment")).toMatch(/^payment\s+0\s+0\s+-\s+-\s+-\s+-\s+1\/1 idle$/);
    expect(rowOf(lines, "notification")).toMatch(/\s1\/1 paused$/);
    expect(rowOf(lines, "report")).toMatch(/\s2\/2 fixed$/);
    expect(rowOf(lines, "audit")).toMatch(/\s0\/0 missing$/);
    expect(rowOf(lines, "ingress")).toMatch(/^ingress\s+1\s+1\s+-\s+-\s+-\s+-\s+-$/);
  });

  it("without KEDA on the cluster, every dispatcher is at a fixed pace", async () => {
    cluster.kedaInstalled = false;
    const lines = await screenOnce();
    expect(rowOf(lines, "order")).toMatch(/\s3\/4 fixed$/);
    expect(rowOf(lines, "notification")).toMatch(/\s1\/1 fixed$/);
  });

  it("a dispatcher's replica change is a scale event named as the local platform names it", async () => {
    cluster.orderDispatchers = [1, 4];
    const screens: string[] = [];
    const done = new Error("two readings");
    const run = observeCluster("leveler", { once: false, intervalMs: 0 }, kc, (t) => {
      screens.push(t);
      if (screens.length === 2) throw done;
    });
    await expect(run).rejects.toBe(done);
    expect(screens[0]).toContain("scale events (none yet)");
    expect(screens[1]).toMatch(
      /\d\d:\d\d:\d\d {2}order-dispatcher +1 → 4 {2}dispatcher replicas changed \(active\)\n/,
    );
  });

  it("a Trigger list the user may not read is one line naming the namespace and the reason", async () => {
    cluster.triggersForbidden = true;
    const failure = await screenOnce().catch((e: unknown) => e as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'cannot list Triggers in namespace leveler: HTTP 403: triggers.eventing.knative.dev is forbidden: User "alice" cannot list resource "triggers"',
    );
  });
});
