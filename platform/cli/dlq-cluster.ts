/**
 * `leveler dlq list|replay --cluster`: the dead-letter sink's API (functions/dead-letters/app.ts)
 * on a cluster, through your kubeconfig. The bearer token comes from the Secret
 * `dead-letters-token` (key `token`).
 *
 * How the call reaches the sink, which may be scaled to zero:
 * - Not the API server's service proxy: after authenticating a request the API server deletes its
 *   Authorization header (k8s.io/apiserver, pkg/endpoints/filters/authentication.go), so the
 *   sink's bearer token would never arrive. The Knative Service's own Service is an ExternalName,
 *   which the proxy cannot reach anyway.
 * - A port-forward to an activator pod (knative-serving, label app=activator, port 8012) with the
 *   revision headers `Knative-Serving-Revision` and `Knative-Serving-Namespace`: the activator
 *   picks the revision from those headers (knative/serving pkg/activator/handler/context_handler.go
 *   at 98e5ef90aa7033797aa0a61ef97f3ff7e49a3944), wakes it from zero and proxies to its pods, in
 *   proxy and serve mode alike, whatever the ingress. A port-forward is a byte tunnel, so the
 *   Authorization header arrives untouched. The kubeconfig's user needs `pods/portforward` create
 *   in knative-serving, `secrets` get in the sink's namespace and `services.serving.knative.dev` get.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { createDeadLetterApi, type DeadLetterApi } from "../dead-letters/api-client.js";
import { loadKubeConfig } from "../kube-config.js";
import { CliError } from "./control-client.js";

export const SINK_SERVICE = "dead-letters";
export const TOKEN_SECRET = "dead-letters-token";
const ACTIVATOR_NAMESPACE = "knative-serving";
const ACTIVATOR_PORT = 8012;

/** The status of a failed API server call, as @kubernetes/client-node reports it. */
function statusOf(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

async function readToken(kc: KubeConfig, namespace: string): Promise<string> {
  const k8s = await import("@kubernetes/client-node");
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const secret = await core
    .readNamespacedSecret({ name: TOKEN_SECRET, namespace })
    .catch((err: unknown) => {
      if (statusOf(err) === 404)
        throw new CliError(`no Secret ${namespace}/${TOKEN_SECRET}: is leveler deployed there?`);
      throw new CliError(`reading Secret ${namespace}/${TOKEN_SECRET}: ${apiMessage(err)}`);
    });
  const encoded = secret.data?.token;
  if (!encoded) throw new CliError(`Secret ${namespace}/${TOKEN_SECRET} has no key "token"`);
  return Buffer.from(encoded, "base64").toString("utf8").trim();
}

async function latestRevision(kc: KubeConfig, namespace: string): Promise<string> {
  const k8s = await import("@kubernetes/client-node");
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const ksvc = (await api
    .getNamespacedCustomObject({
      group: "serving.knative.dev",
      version: "v1",
      namespace,
      plural: "services",
      name: SINK_SERVICE,
    })
    .catch((err: unknown) => {
      if (statusOf(err) === 404)
        throw new CliError(`no Knative Service ${namespace}/${SINK_SERVICE}: deploy leveler first`);
      throw new CliError(`reading Service ${namespace}/${SINK_SERVICE}: ${apiMessage(err)}`);
    })) as { status?: { latestReadyRevisionName?: string } };
  const revision = ksvc.status?.latestReadyRevisionName;
  if (!revision)
    throw new CliError(`Knative Service ${namespace}/${SINK_SERVICE} has no ready revision yet`);
  return revision;
}

async function activatorPod(kc: KubeConfig): Promise<string> {
  const k8s = await import("@kubernetes/client-node");
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pods = await core
    .listNamespacedPod({ namespace: ACTIVATOR_NAMESPACE, labelSelector: "app=activator" })
    .catch((err: unknown) => {
      throw new CliError(`listing the activator pods: ${apiMessage(err)}`);
    });
  const ready = pods.items.find(
    (p) =>
      p.status?.phase === "Running" &&
      p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
  if (!ready?.metadata?.name)
    throw new CliError(`no ready activator pod in ${ACTIVATOR_NAMESPACE} (is Knative Serving up?)`);
  return ready.metadata.name;
}

function apiMessage(err: unknown): string {
  const code = statusOf(err);
  const body = (err as { body?: unknown }).body;
  let message: string | undefined;
  try {
    message = (typeof body === "string" ? (JSON.parse(body) as { message?: string }) : undefined)
      ?.message;
  } catch {
    // not a Status object
  }
  return `${code ? `${code} ` : ""}${message ?? (err as Error).message}`.split("\n")[0]!;
}

/** A local listener whose every connection is tunnelled to `pod:port` through the API server. */
async function tunnel(kc: KubeConfig, namespace: string, pod: string, port: number) {
  const k8s = await import("@kubernetes/client-node");
  const forward = new k8s.PortForward(kc);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    forward
      .portForward(namespace, pod, [port], socket, null, socket)
      .then((ws) => {
        const closable = ws as { close?: () => void; on?: (e: string, f: () => void) => void };
        closable.on?.("close", () => socket.end());
        socket.on("close", () => closable.close?.());
      })
      .catch((err: unknown) => socket.destroy(err as Error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** The sink's API on the cluster, and a close() that ends the tunnel. */
export async function clusterDeadLetterApi(
  namespace: string,
  kc?: KubeConfig,
): Promise<{ api: DeadLetterApi; close: () => void }> {
  kc ??= await loadKubeConfig();
  const token = await readToken(kc, namespace);
  const revision = await latestRevision(kc, namespace);
  const pod = await activatorPod(kc);
  const { url, close } = await tunnel(kc, ACTIVATOR_NAMESPACE, pod, ACTIVATOR_PORT);
  const api = createDeadLetterApi({
    url: () => url,
    token,
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string>),
          "knative-serving-revision": revision,
          "knative-serving-namespace": namespace,
        },
      }),
  });
  return { api, close };
}
