/**
 * `leveler logs <function> --cluster`: the function's pods' logs through your kubeconfig, as
 * `kubectl logs -l serving.knative.dev/service=<function>` would read them: the user container
 * of each pod (not queue-proxy), with the kubelet's timestamps, each line labelled by pod and
 * interleaved by time; `--since` becomes sinceSeconds, `--follow` follows the pods running now
 * (a pod that starts later is not picked up: run the command again).
 */
import { Writable } from "node:stream";
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { KubeConfigError, loadKubeConfig } from "../kube-config.js";
import { interleave } from "./logs.js";

/** Knative's sidecar; every other container of a revision's pod is the user's. */
const QUEUE_PROXY = "queue-proxy";

export interface ClusterLogsOptions {
  follow: boolean;
  sinceSeconds?: number;
}

function userContainer(pod: V1Pod): string | undefined {
  return pod.spec?.containers.find((c) => c.name !== QUEUE_PROXY)?.name;
}

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
function lineWriter(onLine: (line: string) => void): Writable {
  let pending = "";
  return new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line) onLine(line);
      done();
    },
    final(done) {
      if (pending) onLine(pending);
      done();
    },
  });
}

export async function clusterLogs(
  fn: string,
  namespace: string,
  options: ClusterLogsOptions,
  kc?: KubeConfig,
): Promise<number> {
  const k8s = await import("@kubernetes/client-node");
  try {
    kc ??= await loadKubeConfig();
  } catch (err) {
    if (!(err instanceof KubeConfigError)) throw err;
    console.error(`leveler logs: ${err.message}`);
    return 1;
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let pods: V1Pod[];
  try {
    pods = (
      await core.listNamespacedPod({
        namespace,
        labelSelector: `serving.knative.dev/service=${fn}`,
      })
    ).items;
  } catch (err) {
    console.error(`leveler logs: listing the pods of ${namespace}/${fn}: ${oneLine(err)}`);
    return 1;
  }
  const targets = pods
    .map((pod) => ({ pod: pod.metadata?.name ?? "", container: userContainer(pod) }))
    .filter((t): t is { pod: string; container: string } => !!t.pod && !!t.container);
  if (!targets.length) {
    console.error(`leveler logs: no pods of "${fn}" in ${namespace} (scaled to zero?)`);
    return 1;
  }
  const log = new k8s.Log(kc);
  const query = {
    follow: options.follow,
    timestamps: true,
    ...(options.sinceSeconds !== undefined ? { sinceSeconds: options.sinceSeconds } : {}),
  };
  const collected = targets.map(({ pod }) => ({ replica: pod, lines: [] as string[] }));
  try {
    await Promise.all(
      targets.map(async ({ pod, container }, i) => {
        const sink = lineWriter((line) => {
          if (options.follow) console.log(`${pod} | ${line}`);
          else collected[i]!.lines.push(line);
        });
        const finished = new Promise<void>((resolve) => sink.on("finish", resolve));
        await log.log(namespace, pod, container, sink, query);
        await finished;
      }),
    );
  } catch (err) {
    console.error(`leveler logs: reading the pods' logs: ${oneLine(err)}`);
    return 1;
  }
  if (!options.follow)
    for (const line of interleave(
      collected.map((c) => ({ replica: c.replica, text: c.lines.join("\n") })),
    ))
      console.log(line);
  return 0;
}

function oneLine(err: unknown): string {
  const code = (err as { code?: number }).code;
  return `${code ? `${code} ` : ""}${(err as Error).message}`.split("\n")[0]!;
}
