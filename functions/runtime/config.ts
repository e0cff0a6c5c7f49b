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

export function readNumber(env: Env, name: string, fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = range;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const bounds = [min > -Infinity ? `≥ ${min}` : "", max < Infinity ? `≤ ${max}` : ""].filter(Boolean).join(" and ");
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not ${integer ? "an integer" : "a number"}${bounds ? ` ${bounds}` : ""}`);
  }
  return value;
}

/** What every function reads: how Knative describes the container it runs in. */
export interface FunctionConfig {
  port: number;
  /** Prometheus scrape port; 0 turns the endpoint off. Never the traffic port (Knative allows one). */
  metricsPort: number;
  service: string;
  revision: string | undefined;
  configuration: string | undefined;
}

export function readFunctionConfig(env: Env, defaultName: string): FunctionConfig {
  return {
    port: readNumber(env, "PORT", 8080, { min: 0, max: 65535, integer: true }),
    metricsPort: readNumber(env, "METRICS_PORT", 9464, { min: 0, max: 65535, integer: true }),
    service: readString(env, "K_SERVICE", defaultName),
    revision: env.K_REVISION || undefined,
    configuration: env.K_CONFIGURATION || undefined,
  };
}
