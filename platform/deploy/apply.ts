/**
 * Applies rendered objects with Kubernetes server-side apply through @kubernetes/client-node, as
 * `kubectl apply --server-side --field-manager=leveler` would: no kubectl needed, and the API
 * server (its CRD schemas and the Knative webhooks) validates every object.
 */
import {
  ApiException,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
} from "@kubernetes/client-node";
import { loadKubeConfig } from "../kube-config.js";
import { DeployError } from "./errors.js";
import { replaceFrozen } from "./replace.js";
import type { SourcedDoc } from "./render.js";
import { kubeApiReason } from "../kube-api-error.js";

export const FIELD_MANAGER = "leveler";

/**
 * Order in which kinds are applied, so that a cluster can start from nothing: what others refer
 * to comes first, and nothing that takes traffic exists before what it needs.
 * - ConfigMaps and Secrets before the pods that mount them.
 * - RabbitMQ resources (cluster, broker config, policies, queues) before the Broker that uses them.
 * - Triggers right after the Broker, before any Service: eventing-rabbitmq declares a Trigger's
 *   queue and binding before it resolves the subscriber (pkg/reconciler/trigger/trigger.go,
 *   ReconcileKind), and its ingress publishes with mandatory=false (cmd/ingress/main.go), so an
 *   event the ingress takes before a Trigger's binding exists is routed nowhere and lost.
 * - SinkBinding before the Services: its webhook injects K_SINK when the subject is created
 *   (knative/pkg webhook/psbinding); created after, the ingress's first revision starts without
 *   K_SINK and exits until the binding patches it.
 */
const KIND_ORDER = [
  "Namespace",
  // Fences first: no pod of leveler's runs before its NetworkPolicy does.
  "NetworkPolicy",
  "ConfigMap",
  "Secret",
  "RabbitmqCluster",
  "PodDisruptionBudget",
  "RabbitmqBrokerConfig",
  "OperatorPolicy",
  "Policy",
  "Exchange",
  "Queue",
  "Binding",
  "Broker",
  "Trigger",
  // KEDA's login, then what scales each Trigger's dispatcher (it waits for the Deployment).
  "TriggerAuthentication",
  "ScaledObject",
  "SinkBinding",
  "Service",
];

/** Where each kind comes from, for the one line shown when the cluster does not know it. */
const PROVIDER: Record<string, string> = {
  "serving.knative.dev": "Knative Serving",
  "eventing.knative.dev/Broker": "Knative Eventing",
  "eventing.knative.dev/Trigger": "Knative Eventing",
  "eventing.knative.dev/RabbitmqBrokerConfig": "eventing-rabbitmq (its broker controller)",
  "sources.knative.dev": "Knative Eventing",
  "rabbitmq.com/RabbitmqCluster": "the RabbitMQ cluster operator",
  "rabbitmq.com": "the RabbitMQ messaging topology operator",
  // ScaledObject, TriggerAuthentication: backlog-driven delivery.
  "keda.sh": "KEDA v2",
};

export function applyOrder(docs: readonly SourcedDoc[]): SourcedDoc[] {
  const rank = (d: SourcedDoc) => {
    const i = KIND_ORDER.indexOf(d.doc.kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...docs].sort((a, b) => rank(a) - rank(b));
}

/** Loads the kubeconfig and checks that its cluster answers; one clear line when it does not. */
export async function connect(env: NodeJS.ProcessEnv = process.env): Promise<KubeConfig> {
  const kc = await loadKubeConfig({ env });
  const cluster = kc.getCurrentCluster()!;
  try {
    await kc.makeApiClient(VersionApi).getCode();
  } catch (err) {
    throw new DeployError(
      `cluster ${cluster.server} (context ${kc.getCurrentContext()}) does not answer: ${kubeApiReason(err)}`,
      { cause: err },
    );
  }
  return kc;
}

export interface ApplyResult {
  applied: string[];
}

export interface ApplyOptions {
  /**
   * Take fields another field manager owns (`kubectl apply --server-side --force-conflicts`),
   * naming each field and its previous owner. Without it a conflict stops the deploy, named.
   */
  forceConflicts?: boolean;
  /**
   * Delete and recreate a Broker, Trigger or RabbitmqBrokerConfig whose frozen fields changed
   * (saying first what that drops). Without it such an edit stops the deploy before any apply.
   */
  replace?: boolean;
  /** How long `replace` waits for a deleted object to be gone. */
  goneTimeoutMs?: number;
}

/** A field another manager owns, from the API server's 409 answer to a server-side apply. */
export interface FieldConflict {
  field: string;
  manager: string;
}

/** Server-side applies each object in dependency order; stops at the first failure. */
export async function applyDocs(
  kc: KubeConfig,
  docs: readonly SourcedDoc[],
  log: (line: string) => void,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const applied: string[] = [];
  const ordered = applyOrder(docs);
  await replaceFrozen(client, ordered, {
    replace: options.replace ?? false,
    log,
    ...(options.goneTimeoutMs !== undefined ? { goneTimeoutMs: options.goneTimeoutMs } : {}),
  });
  for (const { doc, file } of ordered) {
    const what = `${doc.kind} ${doc.metadata.namespace ? `${doc.metadata.namespace}/` : ""}${doc.metadata.name}`;
    const apply = (force: boolean) =>
      client.patch(doc, undefined, undefined, FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
    try {
      try {
        await apply(false);
      } catch (err) {
        const conflicts = fieldConflicts(err);
        if (!conflicts) throw err;
        const named = describeConflicts(conflicts);
        if (!options.forceConflicts)
          throw new DeployError(
            `${file}: applying ${what}: fields owned by another field manager: ${named}. Re-run with --force-conflicts to take them over (leveler's values replace theirs)`,
          );
        log(`taking over from other field managers on ${what}: ${named}`);
        await apply(true);
      }
    } catch (err) {
      if (err instanceof DeployError) throw err;
      throw new DeployError(
        `${file}: applying ${what} failed: ${explain(doc.apiVersion, doc.kind, err)}`,
        { cause: err },
      );
    }
    applied.push(what);
    log(`applied ${what}`);
  }
  return { applied };
}

/**
 * The fields of a server-side apply conflict (HTTP 409, `details.causes` of reason
 * FieldManagerConflict, each message `conflict with "<manager>"...`), or undefined for any
 * other error.
 */
export function fieldConflicts(err: unknown): FieldConflict[] | undefined {
  if (!(err instanceof ApiException) || err.code !== 409) return undefined;
  const body: unknown = typeof err.body === "string" ? safeJson(err.body) : err.body;
  const causes = (body as { details?: { causes?: unknown } } | undefined)?.details?.causes;
  if (!Array.isArray(causes)) return undefined;
  const out: FieldConflict[] = [];
  for (const cause of causes as { reason?: unknown; message?: unknown; field?: unknown }[]) {
    if (cause.reason !== "FieldManagerConflict") continue;
    const message = typeof cause.message === "string" ? cause.message : "";
    const manager = /conflict with "([^"]*)"/.exec(message)?.[1] ?? "unknown";
    out.push({ field: typeof cause.field === "string" ? cause.field : "?", manager });
  }
  return out.length ? out : undefined;
}

/** `.spec.x (owned by "kubectl"), .data.y (owned by "helm")` */
export function describeConflicts(conflicts: readonly FieldConflict[]): string {
  return conflicts.map((c) => `${c.field} (owned by "${c.manager}")`).join(", ");
}

function explain(apiVersion: string, kind: string, err: unknown): string {
  if (
    err instanceof ApiException &&
    err.code === 404 &&
    /could not find the requested resource|not found/i.test(
      String(err.message) + JSON.stringify(err.body),
    )
  ) {
    const group = apiVersion.split("/")[0]!;
    const provider = PROVIDER[`${group}/${kind}`] ?? PROVIDER[group];
    if (provider)
      return `the cluster does not serve ${kind} (${apiVersion}); install ${provider} first (knative/README.md)`;
  }
  return kubeApiReason(err);
}

/** The API server's own message when there is one, else the transport error. */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
