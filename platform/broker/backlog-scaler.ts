/**
 * How many replicas a Trigger's dispatcher should run, decided as a KEDA ScaledObject with a
 * `rabbitmq` trigger in `QueueLength` mode decides it on a cluster, with the HPA it drives:
 * - activation (KEDA, pkg/scaling/executor/scale_scaledobjects.go): the scaler is active while
 *   the queue holds more than `activationValue` (pkg/scalers/rabbitmq_scaler.go,
 *   GetMetricsAndActivity); active at 0 replicas → `max(minReplicaCount, 1)`; inactive for
 *   `cooldownPeriod` since it was last active → `minReplicaCount` when that is 0. KEDA looks every
 *   `pollingInterval`, and so does the local dispatcher;
 * - from 1 up, the HPA on KEDA's external metric (an AverageValue target), once per HPA sync
 *   period (15 s; the first look at the queue at or after each sync time, half a polling interval
 *   early counting, so that timer jitter does not push a sync a whole interval late): desired =
 *   ceil(queue length / value), unchanged within the HPA's 10 % tolerance; then the HPA's
 *   behavior (hpa-behavior.ts): the lowest recommendation of the scale-up stabilization window
 *   going up, the highest of the scale-down window going down, at most as fast as the scale-up
 *   and scale-down policies allow (by default max(4 pods, 100 %) per 15 s up), within
 *   `max(minReplicaCount, 1)`..`maxReplicaCount`.
 * Pure: the dispatcher polls the queue every `pollingIntervalMs` and applies the answer.
 */
import {
  longestPeriodMs,
  scaleDownLimit,
  scaleUpLimit,
  type HpaBehavior,
  type HpaScaleEvent,
  type ScalingRules,
} from "./hpa-behavior.js";

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
  /** The HPA's behavior, as the ScaledObject passes it on (defaults filled). */
  behavior: HpaBehavior;
  /** How often the HPA controller syncs (a cluster setting, not the ScaledObject's). */
  hpaSyncMs: number;
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
} as const;

/** The HPA's default tolerance (kube-controller-manager --horizontal-pod-autoscaler-tolerance). */
const HPA_TOLERANCE = 0.1;

export interface ScalerState {
  replicas: number;
  /** When the scaler was last active; undefined: never (KEDA scales in without waiting). */
  lastActiveAt: number | undefined;
  /** The HPA's recent recommendations, for its stabilization windows. */
  recommendations: readonly { at: number; replicas: number }[];
  /** The HPA's recent changes, for its rate policies. */
  events: readonly HpaScaleEvent[];
  /** When the HPA last synced; undefined: not yet. */
  lastSyncAt: number | undefined;
}

export interface ScaleDecision {
  state: ScalerState;
  /** Set when the replica count changes: why, in one line. */
  reason?: string;
}

export function initialScalerState(spec: BacklogScaling): ScalerState {
  // The Deployment eventing-rabbitmq creates has 1 replica until KEDA first acts.
  return {
    replicas: spec.pausedReplicas ?? 1,
    lastActiveAt: undefined,
    recommendations: [],
    events: [],
    lastSyncAt: undefined,
  };
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
        { ...state, replicas: hpaMin, lastActiveAt, recommendations: [], events: [] },
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
      { ...state, replicas: 0, lastActiveAt, recommendations: [], events: [] },
      `queue ${queueLength} ≤ activationValue ${spec.activationValue} for cooldownPeriod ${spec.cooldownMs / 1000}s`,
    );
  }
  const syncDue =
    state.lastSyncAt === undefined ||
    now - state.lastSyncAt >= spec.hpaSyncMs - spec.pollingIntervalMs / 2;
  if (!syncDue) return { state: { ...state, lastActiveAt } };
  return hpaSync(spec, { ...state, lastActiveAt, lastSyncAt: now }, queueLength, now);
}

/** One sync of the HPA (horizontal.go, normalizeDesiredReplicasWithBehaviors). */
function hpaSync(
  spec: BacklogScaling,
  state: ScalerState,
  queueLength: number,
  now: number,
): ScaleDecision {
  const { scaleUp, scaleDown } = spec.behavior;
  const current = state.replicas;
  const hpaMin = Math.max(spec.minReplicas, 1);
  const ratio = queueLength / (spec.value * current);
  const raw = Math.abs(ratio - 1) <= HPA_TOLERANCE ? current : Math.ceil(queueLength / spec.value);
  const kept = Math.max(scaleUp.stabilizationMs, scaleDown.stabilizationMs);
  const recommendations = [
    ...state.recommendations.filter((r) => now - r.at < kept),
    { at: now, replicas: raw },
  ];
  const up = raw >= current;
  const window = up ? scaleUp.stabilizationMs : scaleDown.stabilizationMs;
  const inWindow = recommendations.filter((r) => now - r.at < window).map((r) => r.replicas);
  // Up: the lowest recent recommendation; down: the highest (raw alone with no window).
  const stabilized = up ? Math.min(raw, ...inWindow) : Math.max(raw, ...inWindow);

  let replicas = stabilized;
  let why = "";
  if (stabilized > current) {
    const rate = scaleUpLimit(current, state.events, scaleUp, now);
    const most = Math.min(spec.maxReplicas, rate);
    if (stabilized > most) {
      replicas = most;
      why =
        rate < spec.maxReplicas
          ? `, limited to ${most} by the scale-up policies (${policies(scaleUp)})`
          : `, clamped to ${hpaMin}..${spec.maxReplicas}`;
    }
  } else if (stabilized < current) {
    const rate = scaleDownLimit(current, state.events, scaleDown, now);
    const least = Math.max(hpaMin, rate);
    if (stabilized < least) {
      replicas = least;
      why =
        rate > hpaMin
          ? `, limited to ${least} by the scale-down policies (${policies(scaleDown)})`
          : `, clamped to ${hpaMin}..${spec.maxReplicas}`;
    }
  }
  if (stabilized !== raw)
    why += `; ${stabilized} from the ${window / 1000}s ${up ? "scale-up" : "scale-down"} stabilization window`;
  const keepEvents = longestPeriodMs(spec.behavior);
  const events = [
    ...state.events.filter((e) => now - e.at < keepEvents),
    ...(replicas !== current ? [{ at: now, change: replicas - current }] : []),
  ];
  return change(
    state,
    { ...state, replicas, recommendations, events },
    `queue ${queueLength} / value ${spec.value} → ${raw}${why}`,
  );
}

function policies(rules: ScalingRules): string {
  const each = rules.policies.map(
    (p) => `${p.value}${p.type === "Percent" ? " %" : " pods"} per ${p.periodMs / 1000}s`,
  );
  return rules.policies.length > 1 ? `${rules.selectPolicy} of ${each.join(", ")}` : each[0]!;
}

/** Deliveries in flight that `replicas` dispatchers take: each has `parallelism` workers. */
export function inFlightBound(replicas: number, parallelism: number): number {
  return replicas * parallelism;
}

function change(before: ScalerState, after: ScalerState, reason: string): ScaleDecision {
  return after.replicas === before.replicas ? { state: after } : { state: after, reason };
}
