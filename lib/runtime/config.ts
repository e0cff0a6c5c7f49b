/**
 * Every environment variable a function reads, in one place, read when asked (never at import
 * time) and checked: a bad value is a one-line error naming the variable.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

export function readString(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === "" ? fallback : value;
}

export function readNumber(
  env: Env,
  name: string,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = range;
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    const bounds = [min > -Infinity ? `≥ ${min}` : "", max < Infinity ? `≤ ${max}` : ""]
      .filter(Boolean)
      .join(" and ");
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not ${integer ? "an integer" : "a number"}${bounds ? ` ${bounds}` : ""}`,
    );
  }
  return value;
}

/** What every function reads: how Knative describes the container it runs in. */
export interface FunctionConfig {
  port: number;
  /**
   * SHARED_PORT: a port the replica also listens on once ready, with SO_REUSEPORT, beside the other
   * replicas of its Service (lib/runtime/serve.ts). Only the local platform sets it; unset in a pod.
   */
  sharedPort: number | undefined;
  /**
   * CONTAINER_CONCURRENCY: the replica keeps its containerConcurrency itself (lib/runtime/breaker.ts),
   * as the queue-proxy does in a pod. Only the local platform sets it, beside SHARED_PORT; 0: none.
   */
  containerConcurrency: number;
  /** Prometheus scrape port; 0 turns the endpoint off. Never the traffic port (Knative allows one). */
  metricsPort: number;
  service: string;
  revision: string | undefined;
  configuration: string | undefined;
  telemetry: TelemetryConfig;
  /** HTTP server limits and listen address (HOST: unset in a pod, 127.0.0.1 locally). */
  server: {
    /**
     * Unset: every interface, as Node listens by default (`::`, which takes IPv4 too, or 0.0.0.0
     * where IPv6 is off). Any HOST, even an address, costs a start Node's lookup of it, whose first
     * use compiles its IPv6 pattern: ~10 ms more to listening, measured, in a fresh Node here.
     */
    host: string | undefined;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxHeaderBytes: number;
  };
}

export function readFunctionConfig(env: Env, defaultName: string): FunctionConfig {
  return {
    port: readNumber(env, "PORT", 8080, { min: 0, max: 65535, integer: true }),
    sharedPort: env.SHARED_PORT
      ? readNumber(env, "SHARED_PORT", 0, { min: 1, max: 65535, integer: true })
      : undefined,
    containerConcurrency: readNumber(env, "CONTAINER_CONCURRENCY", 0, {
      min: 0,
      max: 1000,
      integer: true,
    }),
    metricsPort: readNumber(env, "METRICS_PORT", 9464, { min: 0, max: 65535, integer: true }),
    service: readString(env, "K_SERVICE", defaultName),
    revision: env.K_REVISION || undefined,
    configuration: env.K_CONFIGURATION || undefined,
    telemetry: readTelemetryConfig(env),
    server: {
      host: env.HOST || undefined,
      headersTimeoutMs: readNumber(env, "HEADERS_TIMEOUT_MS", 10_000, { min: 100 }),
      requestTimeoutMs: readNumber(env, "REQUEST_TIMEOUT_MS", 30_000, { min: 100 }),
      maxHeaderBytes: readNumber(env, "MAX_HEADER_BYTES", 16 * 1024, { min: 1024, integer: true }),
    },
  };
}

/** Where a function finds the telemetry switch on Knative: the `config-telemetry` ConfigMap's mount. */
export const DEFAULT_TELEMETRY_CONFIG = "/etc/leveler/telemetry/config.yaml";

/** Tracing set-up: leveler's own variables and the standard OTEL_* ones it honours. */
export interface TelemetryConfig {
  /** `OTEL_SDK_DISABLED=true`: no tracing at all, the switch is not watched. */
  disabled: boolean;
  /** `LEVELER_TELEMETRY_CONFIG`: the watched file holding `samplerRatio`. */
  configFile: string;
  /** `LEVELER_TRACES_DIR`: finished spans go to JSON-lines files here (the local default exporter). */
  tracesDir: string | undefined;
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`): spans also go there, OTLP over HTTP. */
  otlpEndpoint: string | undefined;
  /** `OTEL_SERVICE_NAME` wins over K_SERVICE for `service.name`, as the spec says. */
  serviceName: string | undefined;
  /** `OTEL_TRACES_SAMPLER`: whether a parent's decision is followed (the `parentbased_*` samplers). */
  parentBased: boolean;
  /** The ratio until the file says otherwise (`OTEL_TRACES_SAMPLER` and `_ARG`); 0 unless set. */
  initialRatio: number;
  /** `OTEL_BSP_*`: the batch span processor's settings (the SDK's defaults where unset). */
  batch: {
    scheduledDelayMillis?: number;
    maxQueueSize?: number;
    maxExportBatchSize?: number;
    exportTimeoutMillis?: number;
  };
}

const SAMPLERS: Record<string, { parentBased: boolean; ratio?: number }> = {
  always_on: { parentBased: false, ratio: 1 },
  always_off: { parentBased: false, ratio: 0 },
  traceidratio: { parentBased: false },
  parentbased_always_on: { parentBased: true, ratio: 1 },
  parentbased_always_off: { parentBased: true, ratio: 0 },
  parentbased_traceidratio: { parentBased: true },
};

export function readTelemetryConfig(env: Env): TelemetryConfig {
  const samplerName = readString(env, "OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    .trim()
    .toLowerCase();
  const sampler = SAMPLERS[samplerName];
  if (!sampler)
    throw new ConfigError(
      `OTEL_TRACES_SAMPLER=${JSON.stringify(samplerName)} is not one of ${Object.keys(SAMPLERS).join(", ")}`,
    );
  // Without any setting the switch starts off: tracing costs nothing until someone turns it on.
  const ratio =
    sampler.ratio ??
    readNumber(env, "OTEL_TRACES_SAMPLER_ARG", env.OTEL_TRACES_SAMPLER ? 1 : 0, { min: 0, max: 1 });
  return {
    disabled: readString(env, "OTEL_SDK_DISABLED", "false").trim().toLowerCase() === "true",
    configFile: readString(env, "LEVELER_TELEMETRY_CONFIG", DEFAULT_TELEMETRY_CONFIG),
    tracesDir: env.LEVELER_TRACES_DIR || undefined,
    otlpEndpoint:
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    serviceName: env.OTEL_SERVICE_NAME || undefined,
    parentBased: sampler.parentBased,
    initialRatio: ratio,
    batch: {
      ...optionalNumber(env, "OTEL_BSP_SCHEDULE_DELAY", "scheduledDelayMillis"),
      ...optionalNumber(env, "OTEL_BSP_MAX_QUEUE_SIZE", "maxQueueSize"),
      ...optionalNumber(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "maxExportBatchSize"),
      ...optionalNumber(env, "OTEL_BSP_EXPORT_TIMEOUT", "exportTimeoutMillis"),
    },
  };
}

function optionalNumber<K extends string>(
  env: Env,
  name: string,
  key: K,
): Partial<Record<K, number>> {
  const value = readNumber(env, name, NaN, { min: 0, integer: true });
  return Number.isNaN(value) ? {} : ({ [key]: value } as Record<K, number>);
}
