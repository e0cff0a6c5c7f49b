/**
 * How many replicas a Trigger's dispatcher should run, decided as a KEDA ScaledObject with a
 * `rabbitmq` trigger in `QueueLength` mode decides it on a cluster, with the HPA it drives:
 * - activation (KEDA, pkg/scaling/executor/scale_scaledobjects.go): the scaler is active while
 *   the queue holds more than `activationValue` (pkg/scalers/rabbitmq_scaler.go,
 *   GetMetricsAndActivity); active at 0 replicas → `max(minReplicaCount, 1)`; inactive for
 *   `cooldownPeriod` since it was last active → `minReplicaCount` when that is 0;
 * - from 1 up, the HPA on KEDA's external metric (an AverageValue target): desired =
 *   ceil(queue length / value), unchanged within the HPA's 10 % tolerance, clamped to
 *   `max(minReplicaCount, 1)`..`maxReplicaCount`; going down takes the highest recommendation of
 *   the scale-down stabilization window (HPA `behavior.scaleDown.stabilizationWindowSeconds`,
 *   300 s unless the ScaledObject sets it).
 * Not modelled: the HPA's scale-up rate limits (by default 4 pods or 100 % per 15 s) and its
 * 15 s sync period; see knative/README.md, "Local and cluster".
 * Pure: the dispatcher polls the queue every `pollingIntervalMs` and applies the answer.
 */
export interface BacklogScaling {
  /** The ScaledObject's name (for messages). */
  name: string;
  minReplicas: number;
  maxReplicas: number;
  pollingIntervalMs: number;
  cooldownMs: number;
  /** Target queue length per replica (`value`, or the deprecated `queueLength`). */
  value: number;
  activationValue: number;
  scaleDownStabilizationMs: number;
  /** `autoscaling.keda.sh/paused-replicas`: KEDA holds the Deployment at this count. */
  pausedReplicas?: number;
  /**
   * Whether the queue's length counts deliveries in flight (unacked) beside the ready messages:
   * yes over the management API (`protocol: http`) unless `excludeUnacknowledged` is set; no over
   * AMQP, where a passive queue.declare reports ready messages only (scaled-object.ts).
   */
  countsUnacked: boolean;
}

/** KEDA's and the HPA's defaults (KEDA apis/keda/v1alpha1/scaledobject_types.go; HPA v2 behavior). */
export const KEDA_DEFAULTS = {
  minReplicas: 0,
  maxReplicas: 100,
  pollingIntervalMs: 30_000,
  cooldownMs: 300_000,
  /** rabbitmq_scaler.go defaultRabbitMQQueueLength, when neither mode nor value is set. */
  value: 20,
  activationValue: 0,
  scaleDownStabilizationMs: 300_000,
} as const;

/** The HPA's default tolerance (kube-controller-manager --horizontal-pod-autoscaler-tolerance). */
const HPA_TOLERANCE = 0.1;

export interface ScalerState {
  replicas: number;
  /** When the scaler was last active; undefined: never (KEDA scales in without waiting). */
  lastActiveAt: number | undefined;
  /** The HPA's recent recommendations, for scale-down stabilization. */
  recommendations: readonly { at: number; replicas: number }[];
}

export interface ScaleDecision {
  state: ScalerState;
  /** Set when the replica count changes: why, in one line. */
  reason?: string;
}

export function initialScalerState(spec: BacklogScaling): ScalerState {
  // The Deployment eventing-rabbitmq creates has 1 replica until KEDA first acts.
  return { replicas: spec.pausedReplicas ?? 1, lastActiveAt: undefined, recommendations: [] };
}

export function decideReplicas(
  spec: BacklogScaling,
  state: ScalerState,
  queueLength: number,
  now: number,
): ScaleDecision {
  if (spec.pausedReplicas !== undefined) {
    return change(state, { ...state, replicas: spec.pausedReplicas }, "paused-replicas");
  }
  const active = queueLength > spec.activationValue;
  const lastActiveAt = active ? now : state.lastActiveAt;
  const hpaMin = Math.max(spec.minReplicas, 1);
  if (state.replicas === 0) {
    if (active)
      return change(
        state,
        { replicas: hpaMin, lastActiveAt, recommendations: [] },
        `queue ${queueLength} > activationValue ${spec.activationValue}: activated`,
      );
    if (spec.minReplicas > 0)
      return change(state, { ...state, replicas: spec.minReplicas }, "below minReplicaCount");
    return { state };
  }
  if (
    !active &&
    spec.minReplicas === 0 &&
    (lastActiveAt === undefined || now - lastActiveAt >= spec.cooldownMs)
  ) {
    return change(
      state,
      { replicas: 0, lastActiveAt, recommendations: [] },
      `queue ${queueLength} ≤ activationValue ${spec.activationValue} for cooldownPeriod ${spec.cooldownMs / 1000}s`,
    );
  }
  const ratio = queueLength / (spec.value * state.replicas);
  const raw =
    Math.abs(ratio - 1) <= HPA_TOLERANCE ? state.replicas : Math.ceil(queueLength / spec.value);
  const recommended = Math.min(Math.max(raw, hpaMin), spec.maxReplicas);
  const recommendations = [
    ...state.recommendations.filter((r) => now - r.at < spec.scaleDownStabilizationMs),
    { at: now, replicas: recommended },
  ];
  // Up at once; down only as far as the highest recommendation of the stabilization window.
  const replicas =
    recommended >= state.replicas
      ? recommended
      : Math.min(state.replicas, Math.max(...recommendations.map((r) => r.replicas)));
  const bounds = recommended !== raw ? `, clamped to ${hpaMin}..${spec.maxReplicas}` : "";
  const held =
    replicas > recommended
      ? `; ${replicas} held by the ${spec.scaleDownStabilizationMs / 1000}s stabilization window`
      : "";
  return change(
    state,
    { replicas, lastActiveAt, recommendations },
    `queue ${queueLength} / value ${spec.value} → ${raw}${bounds}${held}`,
  );
}

/** Deliveries in flight that `replicas` dispatchers take: each has `parallelism` workers. */
export function inFlightBound(replicas: number, parallelism: number): number {
  return replicas * parallelism;
}

function change(before: ScalerState, after: ScalerState, reason: string): ScaleDecision {
  return after.replicas === before.replicas ? { state: after } : { state: after, reason };
}
