/**
 * What the autoscaler needs to know about a Service: Knative's cluster-wide defaults
 * (config-autoscaler, with local AUTOSCALER_* overrides) merged with the Service's
 * `autoscaling.knative.dev/*` annotations, checked as Knative's webhook checks them.
 */
import { ManifestError, type ServiceSpec } from "../manifests.js";
import { parseGoDuration } from "./go-duration.js";

export interface AutoscalerDefaults {
  targetUtilizationPct: number;
  concurrencyTargetDefault: number;
  stableWindowMs: number;
  panicWindowPct: number;
  panicThresholdPct: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  enableScaleToZero: boolean;
  scaleToZeroGraceMs: number;
  retentionMs: number;
  initialScale: number;
  allowZeroInitialScale: boolean;
  minScale: number;
  maxScale: number;
  scaleDownDelayMs: number;
  maxScaleLimit: number;
  /** -1: the activator stays in the request path; 0: it leaves as soon as a replica is wanted. */
  targetBurstCapacity: number;
}

export interface ScalingSpec {
  service: string;
  minScale: number;
  /** 0 means unbounded, as in Knative. */
  maxScale: number;
  initialScale: number;
  /** Replicas a Service wakes to from zero; 1 when the annotation is absent. */
  activationScale: number;
  /** Concurrency per replica the autoscaler aims for (target × utilisation). */
  targetPerReplica: number;
  /** Concurrency one replica can take (Knative's "total"): containerConcurrency, else the target. */
  totalPerReplica: number;
  /** Spare concurrency the activator keeps in front of the replicas (-1: always in the path). */
  targetBurstCapacity: number;
  /** 0 means no hard limit. */
  containerConcurrency: number;
  stableWindowMs: number;
  panicWindowMs: number;
  panicThresholdPct: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
  scaleDownDelayMs: number;
  enableScaleToZero: boolean;
  scaleToZeroGraceMs: number;
  retentionMs: number;
}

const KNATIVE_DEFAULTS: Record<string, string> = {
  "container-concurrency-target-percentage": "70",
  "container-concurrency-target-default": "100",
  "stable-window": "60s",
  "panic-window-percentage": "10.0",
  "panic-threshold-percentage": "200.0",
  "max-scale-up-rate": "1000.0",
  "max-scale-down-rate": "2.0",
  "enable-scale-to-zero": "true",
  "scale-to-zero-grace-period": "30s",
  "scale-to-zero-pod-retention-period": "0s",
  "initial-scale": "1",
  "allow-zero-initial-scale": "false",
  "min-scale": "0",
  "max-scale": "0",
  "scale-down-delay": "0s",
  "max-scale-limit": "0",
  "target-burst-capacity": "211",
};

const A = "autoscaling.knative.dev/";

/** Defaults from the ConfigMap's data, then AUTOSCALER_<KEY> from the environment. */
export function readAutoscalerDefaults(
  data: Record<string, string> | undefined,
  env: Record<string, string | undefined>,
): AutoscalerDefaults {
  const merged: Record<string, string> = { ...KNATIVE_DEFAULTS, ...data };
  for (const key of Object.keys(merged)) {
    const override = env[`AUTOSCALER_${key.toUpperCase().replace(/-/g, "_")}`];
    if (override !== undefined && override !== "") merged[key] = override;
  }
  const at = (key: string) => `config-autoscaler ${key}`;
  const num = (key: string, min: number, max = Infinity) => number(merged[key]!, at(key), min, max);
  const dur = (key: string, min: number, max: number) => duration(merged[key]!, at(key), min, max);
  const bool = (key: string) => {
    const v = merged[key]!.toLowerCase();
    if (v !== "true" && v !== "false")
      throw new ManifestError(`${at(key)}="${merged[key]}" must be true or false`);
    return v === "true";
  };
  const defaults: AutoscalerDefaults = {
    targetUtilizationPct: num("container-concurrency-target-percentage", 1, 100),
    concurrencyTargetDefault: num("container-concurrency-target-default", 0.01),
    stableWindowMs: dur("stable-window", 6_000, 3_600_000),
    panicWindowPct: num("panic-window-percentage", 1, 100),
    panicThresholdPct: num("panic-threshold-percentage", 110, 1000),
    maxScaleUpRate: num("max-scale-up-rate", 1.0001),
    maxScaleDownRate: num("max-scale-down-rate", 1.0001),
    enableScaleToZero: bool("enable-scale-to-zero"),
    scaleToZeroGraceMs: dur("scale-to-zero-grace-period", 0, 3_600_000),
    retentionMs: dur("scale-to-zero-pod-retention-period", 0, 3_600_000),
    initialScale: int(merged["initial-scale"]!, at("initial-scale"), 0),
    allowZeroInitialScale: bool("allow-zero-initial-scale"),
    minScale: int(merged["min-scale"]!, at("min-scale"), 0),
    maxScale: int(merged["max-scale"]!, at("max-scale"), 0),
    scaleDownDelayMs: dur("scale-down-delay", 0, 3_600_000),
    maxScaleLimit: int(merged["max-scale-limit"]!, at("max-scale-limit"), 0),
    targetBurstCapacity: burstCapacity(
      merged["target-burst-capacity"]!,
      at("target-burst-capacity"),
    ),
  };
  // knative/serving pkg/autoscaler/config/config.go: with a limit, the default max-scale must be
  // set and within it.
  if (
    defaults.maxScaleLimit > 0 &&
    (defaults.maxScale < 1 || defaults.maxScale > defaults.maxScaleLimit)
  ) {
    throw new ManifestError(
      `${at("max-scale")}="${defaults.maxScale}" must be from 1 to max-scale-limit (${defaults.maxScaleLimit})`,
    );
  }
  return defaults;
}

export function scalingSpecFor(service: ServiceSpec, defaults: AutoscalerDefaults): ScalingSpec {
  const ann = service.annotations;
  const at = (key: string) =>
    `${service.file}: Service ${service.name}: annotation ${A}${key}="${ann[A + key]}"`;
  const get = (key: string) => ann[A + key];
  const intAnn = (key: string, fallback: number, min: number) =>
    get(key) === undefined ? fallback : int(get(key)!, at(key), min);
  const numAnn = (key: string, fallback: number, min: number, max = Infinity) =>
    get(key) === undefined ? fallback : number(get(key)!, at(key), min, max);
  const durAnn = (key: string, fallback: number, min: number, max: number) =>
    get(key) === undefined ? fallback : duration(get(key)!, at(key), min, max);

  const cls = get("class");
  if (cls !== undefined && cls !== "kpa.autoscaling.knative.dev")
    throw new ManifestError(`${at("class")}: only the KPA runs locally`);
  const metric = get("metric");
  if (metric !== undefined && metric !== "concurrency")
    throw new ManifestError(`${at("metric")}: only the concurrency metric runs locally`);

  // Knative's webhook refuses these (knative/serving pkg/apis/autoscaling/annotation_validation.go,
  // validateMinMaxScale): nothing is clamped.
  const minScale = intAnn("min-scale", defaults.minScale, 0);
  const maxScale = intAnn("max-scale", defaults.maxScale, 0);
  if (maxScale !== 0 && maxScale < minScale) {
    throw new ManifestError(
      `${service.file}: Service ${service.name}: annotation ${A}max-scale="${maxScale}" is below ${A}min-scale="${minScale}"`,
    );
  }
  if (get("max-scale") !== undefined && defaults.maxScaleLimit > 0) {
    if (maxScale === 0 || maxScale > defaults.maxScaleLimit)
      throw new ManifestError(
        `${at("max-scale")} must be from 1 to max-scale-limit (${defaults.maxScaleLimit}) in config-autoscaler`,
      );
  }
  let activationScale = 1;
  if (get("activation-scale") !== undefined) {
    activationScale = int(get("activation-scale")!, at("activation-scale"), 0);
    if (activationScale < minScale)
      throw new ManifestError(`${at("activation-scale")} is below ${A}min-scale="${minScale}"`);
    if (maxScale !== 0 && activationScale > maxScale)
      throw new ManifestError(`${at("activation-scale")} is above ${A}max-scale="${maxScale}"`);
    if (activationScale < 2)
      throw new ManifestError(`${at("activation-scale")} must be at least 2`);
  }
  const initialScale = intAnn("initial-scale", defaults.initialScale, 0);
  if (initialScale === 0 && get("initial-scale") !== undefined && !defaults.allowZeroInitialScale) {
    throw new ManifestError(
      `${at("initial-scale")}: 0 needs allow-zero-initial-scale: "true" in config-autoscaler`,
    );
  }
  // knative/serving pkg/reconciler/autoscaling/resources/target.go (ResolveMetricTarget): a
  // replica's total is containerConcurrency, else the default; a `target` annotation replaces it,
  // never above containerConcurrency; the autoscaler aims at total × utilisation.
  const cc = service.containerConcurrency;
  const fallbackTotal = cc > 0 ? cc : defaults.concurrencyTargetDefault;
  const target = numAnn("target", fallbackTotal, 0.01);
  const totalPerReplica = cc > 0 ? Math.min(target, cc) : target;
  const targetBurstCapacity =
    get("target-burst-capacity") === undefined
      ? defaults.targetBurstCapacity
      : burstCapacity(get("target-burst-capacity")!, at("target-burst-capacity"));
  const utilization = numAnn(
    "target-utilization-percentage",
    defaults.targetUtilizationPct,
    1,
    100,
  );
  const stableWindowMs = durAnn("window", defaults.stableWindowMs, 6_000, 3_600_000);
  const panicWindowPct = numAnn("panic-window-percentage", defaults.panicWindowPct, 1, 100);
  return {
    service: service.name,
    minScale,
    maxScale,
    initialScale,
    activationScale,
    targetPerReplica: Math.max(0.01, (totalPerReplica * utilization) / 100),
    totalPerReplica,
    targetBurstCapacity,
    containerConcurrency: cc,
    stableWindowMs,
    panicWindowMs: Math.max(1000, (stableWindowMs * panicWindowPct) / 100),
    panicThresholdPct: numAnn("panic-threshold-percentage", defaults.panicThresholdPct, 110, 1000),
    maxScaleUpRate: defaults.maxScaleUpRate,
    maxScaleDownRate: defaults.maxScaleDownRate,
    scaleDownDelayMs: durAnn("scale-down-delay", defaults.scaleDownDelayMs, 0, 3_600_000),
    enableScaleToZero: defaults.enableScaleToZero,
    scaleToZeroGraceMs: defaults.scaleToZeroGraceMs,
    retentionMs: durAnn("scale-to-zero-pod-retention-period", defaults.retentionMs, 0, 3_600_000),
  };
}

function number(raw: string, at: string, min: number, max = Infinity): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new ManifestError(
      `${at} must be a number${max < Infinity ? ` from ${min} to ${max}` : ` ≥ ${min}`}`,
    );
  }
  return value;
}

/** A burst capacity: -1 (unlimited: the activator never leaves the path) or a number ≥ 0. */
function burstCapacity(raw: string, at: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || (value < 0 && value !== -1))
    throw new ManifestError(`${at} must be -1 or a number ≥ 0`);
  return value;
}

function int(raw: string, at: string, min: number): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || value < min)
    throw new ManifestError(`${at} must be an integer ≥ ${min}`);
  return value;
}

function duration(raw: string, at: string, minMs: number, maxMs: number): number {
  const ms = parseGoDuration(raw);
  if (ms === undefined) throw new ManifestError(`${at} is not a duration such as 60s or 1m30s`);
  if (ms < minMs || ms > maxMs)
    throw new ManifestError(`${at} must be between ${minMs / 1000}s and ${maxMs / 1000}s`);
  return ms;
}
