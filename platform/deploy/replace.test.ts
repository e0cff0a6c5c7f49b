/**
 * `leveler deploy`'s apply against a stand-in API server (plain HTTP, in memory) holding live
 * objects: an edit to a field eventing-rabbitmq's webhook freezes
 * (knative-extensions/eventing-rabbitmq at bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32,
 * pkg/apis/eventing/v1alpha1/trigger_validation.go and broker_validation.go) stops the deploy
 * before anything is applied; with replace the object is deleted, then applied anew.
 */
import { createServer, type Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyDocs } from "./apply.js";
import { DeployError } from "./errors.js";
import type { KubeDoc, SourcedDoc } from "./render.js";
import { kubeConfigFor } from "./stand-in-cluster.js";

const BROKER_UID = "0b7a3c1e-0000-4000-8000-000000000001";
const store = new Map<string, KubeDoc>();
const requests: string[] = [];
let server: Server;
let kc: KubeConfig;

const RESOURCES = [
  { name: "brokers", namespaced: true, kind: "Broker", verbs: ["get", "patch", "delete"] },
  { name: "triggers", namespaced: true, kind: "Trigger", verbs: ["get", "patch", "delete"] },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    res.setHeader("content-type", "application/json");
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.method === "GET" && url.pathname === "/apis/eventing.knative.dev/v1") {
        res.end(
          JSON.stringify({
            kind: "APIResourceList",
            groupVersion: "eventing.knative.dev/v1",
            resources: RESOURCES,
          }),
        );
        return;
      }
      const key = url.pathname;
      if (req.method !== "GET")
        requests.push(`${req.method} ${key.split("/").slice(-2).join("/")}`);
      const notFound = () => {
        res.statusCode = 404;
        res.end(
          JSON.stringify({ kind: "Status", status: "Failure", reason: "NotFound", code: 404 }),
        );
      };
      if (req.method === "GET") {
        const doc = store.get(key);
        if (doc) res.end(JSON.stringify(doc));
        else notFound();
      } else if (req.method === "DELETE") {
        if (!store.delete(key)) return notFound();
        res.end(JSON.stringify({ kind: "Status", status: "Success" }));
      } else if (req.method === "PATCH") {
        const doc = JSON.parse(body) as KubeDoc;
        store.set(key, doc);
        res.end(JSON.stringify(doc));
      } else notFound();
    });
  });
  kc = await kubeConfigFor(server);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const path = (plural: string, name: string) =>
  `/apis/eventing.knative.dev/v1/namespaces/leveler/${plural}/${name}`;
const trigger = (type: string): KubeDoc => ({
  apiVersion: "eventing.knative.dev/v1",
  kind: "Trigger",
  metadata: { name: "order", namespace: "leveler" },
  spec: {
    broker: "default",
    filter: { attributes: { type } },
    subscriber: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "order" } },
  },
});
const broker: KubeDoc = {
  apiVersion: "eventing.knative.dev/v1",
  kind: "Broker",
  metadata: {
    name: "default",
    namespace: "leveler",
    annotations: { "eventing.knative.dev/broker.class": "RabbitMQBroker" },
  },
  spec: {
    config: {
      apiVersion: "eventing.knative.dev/v1alpha1",
      kind: "RabbitmqBrokerConfig",
      name: "c",
    },
  },
};
const docs = (type: string): SourcedDoc[] => [
  { file: "knative/triggers/order.yaml", doc: trigger(type) },
  { file: "knative/broker.yaml", doc: broker },
];

beforeEach(() => {
  store.clear();
  requests.length = 0;
  store.set(path("brokers", "default"), {
    ...broker,
    metadata: { ...broker.metadata, uid: BROKER_UID },
  });
  store.set(path("triggers", "order"), trigger("order.created"));
});

describe("an edit a cluster refuses", () => {
  it("stops the deploy in one line, naming the field, before anything is applied", async () => {
    const failure = await applyDocs(kc, docs("order.placed"), () => undefined).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DeployError);
    const message = (failure as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain(
      'knative/triggers/order.yaml: Trigger leveler/order: spec.filter.attributes.type: "order.created" → "order.placed"',
    );
    expect(message).toContain("--replace");
    expect(requests).toEqual([]);
  });

  it("applies as usual when only mutable fields changed", async () => {
    const result = await applyDocs(kc, docs("order.created"), () => undefined);
    expect(result.applied).toEqual(["Broker leveler/default", "Trigger leveler/order"]);
    expect(requests).toEqual(["PATCH brokers/default", "PATCH triggers/order"]);
  });

  it("with replace, says what it drops, deletes the Trigger, then applies it anew", async () => {
    const lines: string[] = [];
    await applyDocs(kc, docs("order.placed"), (l) => lines.push(l), { replace: true });
    expect(requests).toEqual([
      "DELETE triggers/order",
      "PATCH brokers/default",
      "PATCH triggers/order",
    ]);
    expect(lines[0]).toContain("replacing Trigger leveler/order");
    expect(lines[0]).toContain(`deletes its queue leveler.order.${BROKER_UID} and its binding`);
    expect(lines[0]).toContain("cannot count");
    expect(store.get(path("triggers", "order"))).toMatchObject({
      spec: { filter: { attributes: { type: "order.placed" } } },
    });
  });
});
