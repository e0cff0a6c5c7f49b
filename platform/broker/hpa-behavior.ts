/**
 * The HorizontalPodAutoscaler's `spec.behavior` (autoscaling/v2), which KEDA copies from a
 * ScaledObject's `advanced.horizontalPodAutoscalerConfig.behavior` onto the HPA it creates, and
 * how the HPA controller applies it at each sync (kubernetes pkg/controller/podautoscaler/
 * horizontal.go: stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate,
 * calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors). Defaults and the
 * per-field filling are pkg/apis/autoscaling/v2/defaults.go's: up by at most max(4 pods, 100 %)
 * per 15 s with no stabilization; down by up to 100 % per 15 s after a 300 s stabilization
 * window (kube-controller-manager's --horizontal-pod-autoscaler-downscale-stabilization).
 * Pure: backlog-scaler.ts keeps the state.
 */

export interface ScalingPolicy {
  type: "Pods" | "Percent";
  value: number;
  periodMs: number;
}

export interface ScalingRules {
  stabilizationMs: number;
  /** Max: the policy allowing the largest change; Min: the smallest; Disabled: no change this way. */
  selectPolicy: "Max" | "Min" | "Disabled";
  policies: readonly ScalingPolicy[];
}

export interface HpaBehavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/** kube-controller-manager's --horizontal-pod-autoscaler-sync-period default. */
export const HPA_SYNC_PERIOD_MS = 15_000;

export const HPA_DEFAULT_BEHAVIOR: HpaBehavior = {
  scaleUp: {
    stabilizationMs: 0,
    selectPolicy: "Max",
    policies: [
      { type: "Pods", value: 4, periodMs: 15_000 },
      { type: "Percent", value: 100, periodMs: 15_000 },
    ],
  },
  scaleDown: {
    stabilizationMs: 300_000,
    selectPolicy: "Max",
    policies: [{ type: "Percent", value: 100, periodMs: 15_000 }],
  },
};

/** A change the HPA made: positive up, negative down. */
export interface HpaScaleEvent {
  at: number;
  change: number;
}

/**
 * The most replicas the scale-up rules allow now, never below `current` (the HPA then waits for
 * its earlier scale-ups to leave their periods).
 */
export function scaleUpLimit(
  current: number,
  events: readonly HpaScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  return rateLimit("up", current, events, rules, now);
}

/** The fewest replicas the scale-down rules allow now, never above `current`. */
export function scaleDownLimit(
  current: number,
  events: readonly HpaScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  return rateLimit("down", current, events, rules, now);
}

function rateLimit(
  way: "up" | "down",
  current: number,
  events: readonly HpaScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === "Disabled") return current;
  const up = way === "up";
  // Max takes the policy allowing the largest change: the highest count up, the lowest down.
  const pick = (rules.selectPolicy === "Max") === up ? Math.max : Math.min;
  let limit: number | undefined;
  for (const policy of rules.policies) {
    const { added, removed } = changesWithin(events, policy.periodMs, now);
    // The count when the policy's period began: this period's changes undone.
    const periodStart = current - added + removed;
    const proposed =
      policy.type === "Pods"
        ? periodStart + (up ? policy.value : -policy.value)
        : up
          ? // Rounded up so that a small count can still grow (horizontal.go says the same).
            Math.ceil(periodStart * (1 + policy.value / 100))
          : Math.trunc(periodStart * (1 - policy.value / 100));
    limit = limit === undefined ? proposed : pick(limit, proposed);
  }
  limit ??= current;
  return up ? Math.max(limit, current) : Math.min(limit, current);
}

function changesWithin(events: readonly HpaScaleEvent[], periodMs: number, now: number) {
  let added = 0;
  let removed = 0;
  for (const e of events) {
    if (now - e.at >= periodMs) continue;
    if (e.change > 0) added += e.change;
    else removed -= e.change;
  }
  return { added, removed };
}

/** The longest policy period: older scale events no longer count. */
export function longestPeriodMs(behavior: HpaBehavior): number {
  let longest = 0;
  for (const p of [...behavior.scaleUp.policies, ...behavior.scaleDown.policies])
    longest = Math.max(longest, p.periodMs);
  return longest;
}

type Doc = Record<string, unknown>;

/**
 * `behavior` as the API server would store it: each rule set filled field by field from the
 * defaults. Throws an Error naming the field for what the API server would refuse.
 */
export function readHpaBehavior(raw: unknown, at: string): HpaBehavior {
  const doc = obj(raw, at);
  return {
    scaleUp: readRules(doc.scaleUp, `${at}.scaleUp`, HPA_DEFAULT_BEHAVIOR.scaleUp),
    scaleDown: readRules(doc.scaleDown, `${at}.scaleDown`, HPA_DEFAULT_BEHAVIOR.scaleDown),
  };
}

function readRules(raw: unknown, at: string, defaults: ScalingRules): ScalingRules {
  if (raw === undefined || raw === null) return defaults;
  const doc = obj(raw, at);
  const window = doc.stabilizationWindowSeconds;
  // autoscaling/v2 validation: 0 to 3600 seconds.
  if (window !== undefined && !isInt(window, 0, 3600))
    throw new Error(
      `${at}.stabilizationWindowSeconds=${JSON.stringify(window)} must be an integer from 0 to 3600`,
    );
  const select = doc.selectPolicy ?? defaults.selectPolicy;
  if (select !== "Max" && select !== "Min" && select !== "Disabled")
    throw new Error(`${at}.selectPolicy=${JSON.stringify(select)} must be Max, Min or Disabled`);
  let policies = defaults.policies;
  if (doc.policies !== undefined) {
    if (!Array.isArray(doc.policies) || doc.policies.length === 0)
      throw new Error(`${at}.policies must be a non-empty list`);
    policies = doc.policies.map((p: unknown, i) => readPolicy(p, `${at}.policies[${i}]`));
  }
  return {
    stabilizationMs: window === undefined ? defaults.stabilizationMs : (window as number) * 1000,
    selectPolicy: select,
    policies,
  };
}

function readPolicy(raw: unknown, at: string): ScalingPolicy {
  const doc = obj(raw, at);
  if (doc.type !== "Pods" && doc.type !== "Percent")
    throw new Error(`${at}.type=${JSON.stringify(doc.type)} must be Pods or Percent`);
  if (!isInt(doc.value, 1, Number.MAX_SAFE_INTEGER))
    throw new Error(`${at}.value=${JSON.stringify(doc.value)} must be an integer above 0`);
  // autoscaling/v2 validation: a period of 1 to 1800 seconds.
  if (!isInt(doc.periodSeconds, 1, 1800))
    throw new Error(
      `${at}.periodSeconds=${JSON.stringify(doc.periodSeconds)} must be an integer from 1 to 1800`,
    );
  return {
    type: doc.type,
    value: doc.value as number,
    periodMs: (doc.periodSeconds as number) * 1000,
  };
}

function obj(value: unknown, at: string): Doc {
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Doc;
  throw new Error(`${at} must be a mapping`);
}

function isInt(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}
