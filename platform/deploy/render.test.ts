/**
 * Rendering into another namespace moves every in-cluster address that names the default one,
 * in the project's own manifests and wherever a string can hold one; addresses into other
 * namespaces, and text that merely looks alike, stay as written.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKustomization, moveAddresses, renderDocs, type KubeDoc } from "./render.js";

const root = join(import.meta.dirname, "..", "..");

/** Every string in a document, with its path, for looking at what the render left. */
function strings(node: unknown, path = ""): [string, string][] {
  if (typeof node === "string") return [[path, node]];
  if (Array.isArray(node)) return node.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (node && typeof node === "object")
    return Object.entries(node).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

describe("leveler deploy --namespace", () => {
  const rendered = renderDocs(loadKustomization(join(root, "knative"), root), {
    namespace: "shop",
  });

  it("leaves no address into the default namespace anywhere in the rendered manifests", () => {
    const left = rendered.flatMap(({ doc, file }) =>
      strings(doc)
        .filter(([, value]) => /\.leveler\.svc\b/.test(value))
        .map(([path, value]) => `${file} ${path}: ${value}`),
    );
    expect(left).toEqual([]);
  });

  it("points each consumer at the dead-letter sink in its own namespace", () => {
    const consumers = rendered
      .map(
        ({ doc }) =>
          doc as KubeDoc & {
            spec: {
              template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } };
            };
          },
      )
      .filter((d) => d.kind === "Service" && d.apiVersion === "serving.knative.dev/v1")
      .flatMap((d) =>
        (d.spec.template.spec.containers[0]!.env ?? [])
          .filter((e) => e.name === "K_DEAD_LETTER_SINK")
          .map((e) => [d.metadata.name, e.value]),
      );
    expect(consumers).toEqual([
      ["order", "http://dead-letters.shop.svc.cluster.local"],
      ["payment", "http://dead-letters.shop.svc.cluster.local"],
      ["notification", "http://dead-letters.shop.svc.cluster.local"],
      ["report", "http://dead-letters.shop.svc.cluster.local"],
    ]);
  });

  it("moves KEDA's management API host with the RabbitMQ cluster", () => {
    const hosts = rendered
      .filter(({ doc }) => doc.kind === "ScaledObject")
      .map(({ doc }) => (doc.spec as { triggers: { metadata: { host: string } }[] }).triggers[0]!);
    expect(hosts.length).toBe(4);
    for (const t of hosts) expect(t.metadata.host).toBe("http://leveler-rabbitmq.shop.svc:15672");
  });

  it("moves an address in any string, an array's included, and only a whole namespace label", () => {
    const from = new Set(["leveler"]);
    const cases: [unknown, unknown][] = [
      [
        "http://dead-letters.leveler.svc.cluster.local",
        "http://dead-letters.shop.svc.cluster.local",
      ],
      [
        "http://dead-letters.leveler.svc.cluster.local/",
        "http://dead-letters.shop.svc.cluster.local/",
      ],
      ["http://leveler-rabbitmq.leveler.svc:15672", "http://leveler-rabbitmq.shop.svc:15672"],
      ["amqp://u:p@leveler-rabbitmq.leveler.svc", "amqp://u:p@leveler-rabbitmq.shop.svc"],
      // A RabbitMQ node behind the cluster's headless Service.
      [
        "leveler-rabbitmq-server-0.leveler-rabbitmq-nodes.leveler.svc.cluster.local",
        "leveler-rabbitmq-server-0.leveler-rabbitmq-nodes.shop.svc.cluster.local",
      ],
      [
        ["--sink=http://a.leveler.svc", "--other=http://b.leveler.svc.cluster.local:8080"],
        ["--sink=http://a.shop.svc", "--other=http://b.shop.svc.cluster.local:8080"],
      ],
      // Other namespaces, and look-alikes, stay.
      [
        "http://activator-service.knative-serving.svc.cluster.local",
        "http://activator-service.knative-serving.svc.cluster.local",
      ],
      ["http://a.myleveler.svc", "http://a.myleveler.svc"],
      ["http://a.leveler.svcx", "http://a.leveler.svcx"],
      ["leveler.svc", "leveler.svc"],
      ["/etc/leveler/telemetry", "/etc/leveler/telemetry"],
      ["leveler-dead-letters", "leveler-dead-letters"],
      [42, 42],
    ];
    for (const [value, moved] of cases) expect(moveAddresses(value, from, "shop")).toEqual(moved);
  });

  it("into the default namespace, changes nothing", () => {
    const docs = loadKustomization(join(root, "knative"), root);
    expect(renderDocs(docs, { namespace: "leveler" }).map((d) => d.doc)).toEqual(
      docs.map((d) => d.doc),
    );
  });
});
