/**
 * For tests of the cluster paths (deploy, `--cluster` commands): a stand-in Kubernetes API server
 * on loopback and a kubeconfig whose current context points at it. The test's own handler answers
 * the API calls it cares about.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/** Listens `server` on a free loopback port; returns a kubeconfig for it. */
export async function kubeConfigFor(server: Server): Promise<KubeConfig> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "c",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}
