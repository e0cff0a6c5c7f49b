/**
 * Each Trigger's dispatcher on a cluster, for `leveler observe --cluster`: the Deployment
 * eventing-rabbitmq makes for it (`<trigger>-dispatcher`, labelled
 * `eventing.knative.dev/brokerRole: dispatcher`, pkg/reconciler/trigger/resources/dispatcher.go)
 * with its ready and desired replicas, and the state of the KEDA ScaledObject that scales it on
 * the queue's backlog (knative/triggers/*.yaml). Three list calls, whatever the number of Triggers.
 */
import {
  ApiException,
  AppsV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from "@kubernetes/client-node";
import { kubeApiReason } from "../kube-api-error.js";

export interface ClusterDispatcher {
  trigger: string;
  /** The Service the Trigger delivers to: the row it is shown on. */
  subscriber: string;
  /** Undefined while eventing-rabbitmq has not made the Deployment (the Trigger is not ready). */
  replicas: { ready: number; desired: number } | undefined;
  /** The ScaledObject's state (scalingState), or `fixed` when none scales this dispatcher. */
  scaling: string;
}

interface Trigger {
  metadata?: { name?: string };
  spec?: { subscriber?: { ref?: { name?: string }; uri?: string } };
}

interface Condition {
  type?: string;
  status?: string;
}

interface ScaledObject {
  spec?: { scaleTargetRef?: { kind?: string; name?: string } };
  status?: { conditions?: Condition[] };
}

const DISPATCHER_LABEL = "eventing.knative.dev/brokerRole=dispatcher";

/**
 * KEDA's conditions (Ready, Active, Fallback, Paused: the columns of `kubectl get scaledobject`)
 * as one word: paused is the fixed pace (`autoscaling.keda.sh/paused-replicas`), active means the
 * queue has a backlog past `activationValue`, idle that it has none.
 */
export function scalingState(scaledObject: ScaledObject): string {
  const is = (type: string, status: string) =>
    scaledObject.status?.conditions?.some((c) => c.type === type && c.status === status) ?? false;
  if (is("Ready", "False")) return "not-ready";
  if (is("Paused", "True")) return "paused";
  if (is("Fallback", "True")) return "fallback";
  if (is("Active", "True")) return "active";
  if (is("Active", "False")) return "idle";
  return "pending";
}

/** The Service a Trigger's subscriber names: its ref, else the first label of its URI's host. */
function subscriberOf(trigger: Trigger): string | undefined {
  const { ref, uri } = trigger.spec?.subscriber ?? {};
  if (ref?.name) return ref.name;
  if (!uri) return undefined;
  try {
    return new URL(uri).hostname.split(".")[0] || undefined;
  } catch {
    return undefined;
  }
}

export async function readDispatchers(
  kc: KubeConfig,
  namespace: string,
): Promise<ClusterDispatcher[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const list = (group: string, version: string, plural: string) =>
    custom.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<{
      items?: unknown[];
    }>;
  const [triggers, deployments, scaledObjects] = await Promise.all([
    list("eventing.knative.dev", "v1", "triggers").catch((err: unknown) => {
      throw new Error(`cannot list Triggers in namespace ${namespace}: ${kubeApiReason(err)}`, {
        cause: err,
      });
    }),
    kc
      .makeApiClient(AppsV1Api)
      .listNamespacedDeployment({ namespace, labelSelector: DISPATCHER_LABEL })
      .catch((err: unknown) => {
        throw new Error(
          `cannot list Deployments in namespace ${namespace}: ${kubeApiReason(err)}`,
          {
            cause: err,
          },
        );
      }),
    // A cluster without KEDA (404: it does not serve the kind) runs every dispatcher at a fixed
    // pace, and that is all there is to show.
    list("keda.sh", "v1alpha1", "scaledobjects").catch((err: unknown) => {
      if (err instanceof ApiException && err.code === 404) return { items: [] };
      throw new Error(
        `cannot list ScaledObjects in namespace ${namespace}: ${kubeApiReason(err)}`,
        {
          cause: err,
        },
      );
    }),
  ]);
  const byName = new Map(deployments.items.map((d) => [d.metadata?.name, d]));
  const scalerOf = new Map(
    ((scaledObjects.items ?? []) as ScaledObject[])
      .filter((s) => (s.spec?.scaleTargetRef?.kind ?? "Deployment") === "Deployment")
      .map((s) => [s.spec?.scaleTargetRef?.name, s]),
  );
  const out: ClusterDispatcher[] = [];
  for (const trigger of (triggers.items ?? []) as Trigger[]) {
    const name = trigger.metadata?.name;
    const subscriber = subscriberOf(trigger);
    if (!name || !subscriber) continue;
    const deployment = byName.get(`${name}-dispatcher`);
    const scaler = scalerOf.get(`${name}-dispatcher`);
    out.push({
      trigger: name,
      subscriber,
      replicas: deployment && {
        ready: deployment.status?.readyReplicas ?? 0,
        // spec.replicas is what KEDA's HPA last set; Kubernetes defaults it to 1.
        desired: deployment.spec?.replicas ?? 1,
      },
      scaling: scaler ? scalingState(scaler) : "fixed",
    });
  }
  return out.sort((a, b) => a.trigger.localeCompare(b.trigger));
}
