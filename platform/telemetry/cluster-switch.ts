/**
 * `leveler sampling <ratio> --cluster`: patches the `config-telemetry` ConfigMap (a JSON merge
 * patch of its `config.yaml` key). The kubelet then refreshes the mounted file in every pod and
 * each function applies it as it does locally; no new revision is made.
 */
import {
  formatSamplingSwitch,
  SAMPLING_SWITCH_KEY,
  type SamplingSettings,
} from "../../lib/runtime/sampling-switch.js";
import { loadKubeConfig } from "../kube-config.js";
import { TELEMETRY_CONFIGMAP } from "./local-switch.js";

export class ClusterError extends Error {
  override readonly name = "ClusterError";
}

export interface ClusterTarget {
  namespace: string;
  name?: string;
  /** A kubeconfig context other than the current one. */
  context?: string;
}

export async function patchClusterSamplingSwitch(
  settings: SamplingSettings,
  target: ClusterTarget,
): Promise<void> {
  // Loaded only here: the client is large and no other command needs it.
  const k8s = await import("@kubernetes/client-node");
  const config = await loadKubeConfig({
    contextFlag: true,
    ...(target.context !== undefined ? { context: target.context } : {}),
  });
  const cluster = config.getCurrentCluster()!;
  const name = target.name ?? TELEMETRY_CONFIGMAP;
  const api = config.makeApiClient(k8s.CoreV1Api);
  try {
    await api.patchNamespacedConfigMap(
      {
        name,
        namespace: target.namespace,
        body: { data: { [SAMPLING_SWITCH_KEY]: formatSamplingSwitch(settings) } },
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
  } catch (err) {
    const e = err as Error & { code?: number };
    const why =
      e.code === 404
        ? `ConfigMap ${target.namespace}/${name} not found (apply knative/config-telemetry.yaml)`
        : e.code === 403
          ? `not allowed to patch ConfigMap ${target.namespace}/${name}`
          : e.message.split("\n")[0];
    throw new ClusterError(`${cluster.server}: ${why}`);
  }
}
