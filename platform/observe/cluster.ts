/**
 * `leveler observe --cluster`: the same view from a real cluster, counting each Knative Service's
 * pods (label serving.knative.dev/service) through @kubernetes/client-node, with each consumer's
 * Trigger dispatchers beside it (cluster-dispatchers.ts), and showing pod count and dispatcher
 * replica changes as scale events: the habit of `kubectl get pods -w`, one screen for both.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { kubeApiReason } from "../kube-api-error.js";
import { loadKubeConfig } from "../kube-config.js";
import { readDispatchers } from "./cluster-dispatchers.js";
import { renderView, type ObservedFunction, type ObservedScaleEvent } from "./view.js";

const SERVICE_LABEL = "serving.knative.dev/service";

export async function observeCluster(
  namespace: string,
  options: { once: boolean; intervalMs: number },
  kc?: KubeConfig,
  write: (text: string) => void = (text) => void process.stdout.write(text),
): Promise<void> {
  kc ??= await loadKubeConfig();
  const api = kc.makeApiClient(CoreV1Api);
  const events: ObservedScaleEvent[] = [];
  const last = new Map<string, { n: number; reason: string }>();
  const row = (name: string): ObservedFunction => ({
    name,
    replicas: 0,
    ready: 0,
    desired: undefined,
    inFlight: undefined,
    queueDepth: undefined,
  });
  for (;;) {
    const [pods, dispatchers] = await Promise.all([
      api.listNamespacedPod({ namespace, labelSelector: SERVICE_LABEL }).catch((err: unknown) => {
        throw new Error(
          `cannot list pods in namespace ${namespace} on ${kc.getCurrentCluster()?.server}: ${kubeApiReason(err)}`,
          { cause: err },
        );
      }),
      readDispatchers(kc, namespace),
    ]);
    const byService = new Map<string, ObservedFunction>();
    for (const pod of pods.items) {
      const name = pod.metadata?.labels?.[SERVICE_LABEL];
      if (!name || pod.metadata?.deletionTimestamp) continue;
      const f = byService.get(name) ?? row(name);
      f.replicas++;
      if (pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) f.ready++;
      byService.set(name, f);
    }
    // What scale events are made of: each Service's pods, each dispatcher's desired replicas.
    const counts = new Map(
      [...byService].map(([name, f]) => [name, { n: f.replicas, reason: "pod count changed" }]),
    );
    // A consumer at zero has no pods but still has its dispatchers (one replica each, the base
    // pace): it gets a row of its own.
    for (const d of dispatchers) {
      const f = byService.get(d.subscriber) ?? row(d.subscriber);
      const sum = f.dispatchers ?? { ready: 0, desired: 0, states: [] };
      sum.ready += d.replicas?.ready ?? 0;
      sum.desired += d.replicas?.desired ?? 0;
      const state = d.replicas ? d.scaling : "missing";
      if (state && !sum.states.includes(state)) sum.states.push(state);
      f.dispatchers = sum;
      byService.set(d.subscriber, f);
      // Named as the local platform names its dispatchers' scale events.
      if (d.replicas)
        counts.set(`${d.trigger}-dispatcher`, {
          n: d.replicas.desired,
          reason: `dispatcher replicas changed (${d.scaling})`,
        });
    }
    for (const name of new Set([...counts.keys(), ...last.keys()])) {
      // Gone from this reading: down to zero, for the reason it was counted before.
      const now = counts.get(name) ?? { ...last.get(name)!, n: 0 };
      const before = last.get(name);
      if (before !== undefined && before.n !== now.n)
        events.push({
          time: new Date().toISOString(),
          function: name,
          from: before.n,
          to: now.n,
          reason: now.reason,
        });
      last.set(name, now);
    }
    const screen = renderView(
      `leveler observe --cluster (${kc.getCurrentContext()}, namespace ${namespace})`,
      [...byService.values()].sort((a, b) => a.name.localeCompare(b.name)),
      events,
    );
    if (options.once) {
      write(screen);
      return;
    }
    write(`\x1b[H\x1b[2J${screen}`);
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}
