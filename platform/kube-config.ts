/**
 * The kubeconfig behind `leveler deploy` and every `--cluster` command, found as kubectl finds
 * it: the files named in KUBECONFIG, else ~/.kube/config, else the pod's service account when
 * running inside a cluster. Whatever is missing is a KubeConfigError: one line naming what to set,
 * never @kubernetes/client-node's silent fallback to http://localhost:8080.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";

/** No usable kubeconfig or context: the user can fix it, so callers show the message alone. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

export interface KubeConfigOptions {
  /** Where KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A context other than the kubeconfig's current one (a command's `--context`). */
  context?: string;
  /** The command takes `--context`: say so when no context is chosen. */
  contextFlag?: boolean;
}

/**
 * The kubeconfig with a usable current context and cluster; no request is made.
 *
 * @example
 *   const kc = await loadKubeConfig({ context: values.context, contextFlag: true });
 */
export async function loadKubeConfig(options: KubeConfigOptions = {}): Promise<KubeConfig> {
  const env = options.env ?? process.env;
  // Loaded only here: the client is large and the local commands never need it.
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  const named = (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  // kubectl skips files named in KUBECONFIG that do not exist; it fails only when none does.
  const files = named.length
    ? named.filter((f) => existsSync(f))
    : [join(env.HOME ?? homedir(), ".kube", "config")].filter((f) => existsSync(f));
  if (files.length) {
    let file = files[0]!;
    try {
      kc.loadFromFile(file);
      // Later files add clusters, users and contexts, as loadFromDefault merges them.
      for (file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more);
      }
    } catch (err) {
      throw new KubeConfigError(`no usable kubeconfig in ${file}: ${firstLine(err)}`, {
        cause: err,
      });
    }
  } else if (named.length) {
    throw new KubeConfigError(
      `no kubeconfig: KUBECONFIG names ${named.join(delimiter)}, and no such file exists`,
    );
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    throw new KubeConfigError(
      "no kubeconfig: set KUBECONFIG, create ~/.kube/config (minikube and kind do), or run inside the cluster",
    );
  }

  const where = files.length ? files.join(delimiter) : "the in-cluster configuration";
  if (!kc.getContexts().length)
    throw new KubeConfigError(
      `no context in ${where}: set KUBECONFIG to a kubeconfig that has one (minikube and kind write one)`,
    );
  const choose = options.contextFlag
    ? "kubectl config use-context NAME, or pass --context NAME"
    : "kubectl config use-context NAME";
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context))
      throw new KubeConfigError(
        `no context "${options.context}" in ${where} (it has: ${contextNames(kc)})`,
      );
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context))
    throw new KubeConfigError(
      `no current context in ${where} (it has: ${contextNames(kc)}): ${choose}`,
    );
  if (!kc.getCurrentCluster())
    throw new KubeConfigError(
      `context "${context}" in ${where} names a cluster it does not define: ${choose}`,
    );
  return kc;
}

function contextNames(kc: KubeConfig): string {
  return kc
    .getContexts()
    .map((c) => c.name)
    .join(", ");
}

function firstLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split("\n")[0]!;
}
