/**
 * `leveler send --cluster`: one event to a Broker on a cluster, through your kubeconfig. The
 * Broker's address (`status.address.url`, a cluster-local Service such as
 * http://default-broker-ingress.leveler.svc.cluster.local) is reached through the API server's
 * service proxy (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/`), so no port-forward and
 * no exposed ingress are needed; the kubeconfig's user needs `services/proxy` create.
 * The event goes in binary mode with `ce-*` headers, as a Knative Source would send it.
 */
import { randomUUID } from "node:crypto";
import { request, type RequestOptions } from "node:https";
import { loadKubeConfig } from "../kube-config.js";
import { SendError } from "./send.js";

/** The service-proxy path for an in-cluster `http://<svc>.<ns>.svc...[:port]/path` address. */
export function proxyPath(address: string): string {
  const url = new URL(address);
  const [service, namespace] = url.hostname.split(".");
  if (!service || !namespace || url.protocol !== "http:")
    throw new SendError(`the Broker's address ${address} is not an in-cluster http Service`);
  const port = url.port || "80";
  return `/api/v1/namespaces/${namespace}/services/${service}:${port}/proxy${url.pathname}`;
}

export async function sendToBroker(
  namespace: string,
  broker: string,
  type: string,
  data: unknown,
): Promise<{ id: string; status: number }> {
  const k8s = await import("@kubernetes/client-node");
  const kc = await loadKubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const object = (await api.getNamespacedCustomObject({
    group: "eventing.knative.dev",
    version: "v1",
    namespace,
    plural: "brokers",
    name: broker,
  })) as { status?: { address?: { url?: string } } };
  const address = object.status?.address?.url;
  if (!address)
    throw new SendError(`Broker ${namespace}/${broker} has no address yet (not ready?)`);
  const target = new URL(proxyPath(address), cluster.server);
  const id = randomUUID();
  const body = JSON.stringify(data);
  const options: RequestOptions = {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-type": type,
      "ce-source": "/leveler/cli",
    },
  };
  await kc.applyToHTTPSOptions(options);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(target, options, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => {
        if ((res.statusCode ?? 0) >= 300)
          reject(
            new SendError(`the Broker answered ${res.statusCode}: ${text.trim().slice(0, 300)}`),
          );
        else resolve(res.statusCode ?? 0);
      });
    });
    req.on("error", reject);
    req.end(body);
  });
  return { id, status };
}
