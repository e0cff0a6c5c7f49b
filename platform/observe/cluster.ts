/**
 * `leveler observe --cluster`: the same view from a real cluster, counting each Knative Service's
 * pods (label serving.knative.dev/service) through @kubernetes/client-node, and showing pod
 * count changes as scale events: the habit of `kubectl get pods -w`, one screen for both.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { loadKubeConfig } from "../kube-config.js";
import { renderView, type ObservedFunction, type ObservedScaleEvent } from "./view.js";

const SERVICE_LABEL = "serving.knative.dev/service";

export async function observeCluster(
  namespace: string,
  options: { once: boolean; intervalMs: number },
): Promise<void> {
  const kc = await loadKubeConfig();
  const api = kc.makeApiClient(CoreV1Api);
  const events: ObservedScaleEvent[] = [];
  const last = new Map<string, number>();
  for (;;) {
    let pods;
    try {
      pods = await api.listNamespacedPod({ namespace, labelSelector: SERVICE_LABEL });
    } catch (err) {
      throw new Error(
        `cannot list pods in namespace ${namespace} on ${kc.getCurrentCluster()?.server}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const byService = new Map<string, ObservedFunction>();
    for (const pod of pods.items) {
      const name = pod.metadata?.labels?.[SERVICE_LABEL];
      if (!name || pod.metadata?.deletionTimestamp) continue;
      const f = byService.get(name) ?? {
        name,
        replicas: 0,
        ready: 0,
        desired: undefined,
        inFlight: undefined,
        queueDepth: undefined,
      };
      f.replicas++;
      if (pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) f.ready++;
      byService.set(name, f);
    }
    for (const name of new Set([...byService.keys(), ...last.keys()])) {
      const now = byService.get(name)?.replicas ?? 0;
      const before = last.get(name);
      if (before !== undefined && before !== now)
        events.push({
          time: new Date().toISOString(),
          function: name,
          from: before,
          to: now,
          reason: "pod count changed",
        });
      last.set(name, now);
    }
    const screen = renderView(
      `leveler observe --cluster (${kc.getCurrentContext()}, namespace ${namespace})`,
      [...byService.values()].sort((a, b) => a.name.localeCompare(b.name)),
      events,
    );
    if (options.once) {
      process.stdout.write(screen);
      return;
    }
    process.stdout.write(`\x1b[H\x1b[2J${screen}`);
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}
