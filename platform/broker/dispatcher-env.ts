/**
 * The dispatcher process's environment contract, both ends in one place: the platform writes it
 * from the topology plan (`dispatcherEnv`), the dispatcher reads it back (`readDispatcherConfig`),
 * as eventing-rabbitmq's Trigger reconciler writes the env of its dispatcher Deployment and
 * `cmd/dispatcher` reads it into one struct. A bad value is a one-line ConfigError naming the
 * variable; unset values take the defaults below.
 */
import { ConfigError, readNumber, readString } from "../../lib/runtime/config.js";
import type { DeliverySpec } from "../manifests.js";
import type { BacklogScaling } from "./backlog-scaler.js";
import type { ScalingPolicy } from "./hpa-behavior.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { TriggerPlan } from "./topology.js";

type Env = Record<string, string | undefined>;

export type DispatchMode = "trigger" | "dead-letter";

/** What one dispatcher process needs, as it travels through its environment. */
export interface DispatcherConfig {
  /** DISPATCHER_NAME: the Trigger's name, or `dlq-<queue>` for a dead-letter dispatcher. */
  name: string;
  /** AMQP_URL */
  amqpUrl: string;
  /** QUEUE_NAME: the queue it consumes. */
  queue: string;
  /** SUBSCRIBER: where it POSTs each event (the Trigger's subscriber, or the dead-letter sink). */
  subscriberUrl: string;
  /** PARALLELISM: deliveries in flight at once (the Trigger's parallelism annotation). */
  parallelism: number;
  /** DISPATCH_MODE */
  mode: DispatchMode;
  /** BROKER_EXCHANGE: where replies go (and where a dead letter is replayed to). */
  brokerExchange: string;
  /** DLX_NAME: where dead letters go; trigger mode only; "" for none (and in dead-letter mode). */
  deadLetterExchange: string;
  /** RETRY, BACKOFF_POLICY, BACKOFF_DELAY_MS, TIMEOUT_MS */
  policy: RetryPolicy;
  /**
   * BACKLOG_SCALING (JSON): the ScaledObject on this dispatcher, which the process applies to
   * itself (backlog-scaler.ts); unset: a fixed `parallelism`, as without KEDA.
   */
  backlog?: BacklogScaling;
}

/** Defaults, stated once: the writer fills gaps in a delivery spec with them, the reader unset variables. */
export const DISPATCHER_DEFAULTS = {
  parallelism: 1,
  /** eventing-rabbitmq: no delivery spec at all means no retries ... */
  retry: 0,
  /** ... and a delivery spec without `retry` means 5. */
  retryWithDeliverySpec: 5,
  backoffPolicy: "exponential",
  backoffDelayMs: 50,
  /**
   * A dead-letter dispatcher tries until the sink takes the event (the dispatcher caps each wait at
   * 30 s), so it starts from a longer delay than a Trigger's.
   */
  deadLetterBackoffDelayMs: 1000,
  /**
   * No per-attempt timeout unless the delivery spec sets one, as eventing-rabbitmq's TIMEOUT=0s;
   * it travels as TIMEOUT_MS=0.
   */
  timeoutMs: 0,
} as const satisfies Omit<RetryPolicy, "retry"> & Record<string, unknown>;

/**
 * A Trigger's dispatcher: its queue, its subscriber, and its effective delivery spec (the
 * Trigger's own whole, else the Broker's: effective-delivery.ts). DLX_NAME is "" when that spec
 * names no deadLetterSink, as upstream passes it: failed events are then acked and dropped.
 */
export function triggerDispatcherConfig(
  plan: TriggerPlan,
  subscriberUrl: string,
  amqpUrl: string,
  /** The platform's HPA sync period, which a ScaledObject cannot set. */
  hpaSyncMs?: number,
): DispatcherConfig {
  const delivery: DeliverySpec = plan.delivery ?? {};
  const hasDeliverySpec = plan.delivery !== undefined;
  return {
    name: plan.trigger.name,
    amqpUrl,
    queue: plan.queue,
    subscriberUrl,
    parallelism: plan.trigger.parallelism,
    mode: "trigger",
    brokerExchange: plan.exchange,
    deadLetterExchange: plan.deadLetterExchange,
    policy: {
      retry:
        delivery.retry ??
        (hasDeliverySpec ? DISPATCHER_DEFAULTS.retryWithDeliverySpec : DISPATCHER_DEFAULTS.retry),
      backoffPolicy: delivery.backoffPolicy ?? DISPATCHER_DEFAULTS.backoffPolicy,
      backoffDelayMs: delivery.backoffDelayMs ?? DISPATCHER_DEFAULTS.backoffDelayMs,
      timeoutMs: delivery.timeoutMs,
    },
    ...(plan.trigger.backlog
      ? {
          backlog: {
            ...plan.trigger.backlog,
            hpaSyncMs: hpaSyncMs ?? plan.trigger.backlog.hpaSyncMs,
          },
        }
      : {}),
  };
}

export interface DeadLetterDispatcherPlan {
  /** The dead-letter queue it drains. */
  queue: string;
  /** The Broker's exchange (replies from the sink go there). */
  exchange: string;
  /** The delivery spec that names the sink: its backoff and timeout apply. */
  delivery: DeliverySpec | undefined;
}

/** A dead-letter queue's dispatcher: drains the queue into its sink, one event at a time. */
export function deadLetterDispatcherConfig(
  plan: DeadLetterDispatcherPlan,
  sinkUrl: string,
  amqpUrl: string,
): DispatcherConfig {
  return {
    name: `dlq-${plan.queue}`,
    amqpUrl,
    queue: plan.queue,
    subscriberUrl: sinkUrl,
    parallelism: 1,
    mode: "dead-letter",
    brokerExchange: plan.exchange,
    deadLetterExchange: "",
    policy: {
      // Unused in dead-letter mode: it tries until the sink takes the event.
      retry: DISPATCHER_DEFAULTS.retry,
      backoffPolicy: plan.delivery?.backoffPolicy ?? DISPATCHER_DEFAULTS.backoffPolicy,
      backoffDelayMs: plan.delivery?.backoffDelayMs ?? DISPATCHER_DEFAULTS.deadLetterBackoffDelayMs,
      timeoutMs: plan.delivery?.timeoutMs,
    },
  };
}

/** The environment variables that carry `config` to the dispatcher process. */
export function dispatcherEnv(config: DispatcherConfig): Record<string, string> {
  return {
    DISPATCHER_NAME: config.name,
    AMQP_URL: config.amqpUrl,
    QUEUE_NAME: config.queue,
    SUBSCRIBER: config.subscriberUrl,
    PARALLELISM: String(config.parallelism),
    DISPATCH_MODE: config.mode,
    BROKER_EXCHANGE: config.brokerExchange,
    DLX_NAME: config.deadLetterExchange,
    RETRY: String(config.policy.retry),
    BACKOFF_POLICY: config.policy.backoffPolicy,
    BACKOFF_DELAY_MS: String(config.policy.backoffDelayMs),
    TIMEOUT_MS: String(config.policy.timeoutMs ?? 0),
    ...(config.backlog ? { BACKLOG_SCALING: JSON.stringify(config.backlog) } : {}),
  };
}

/**
 * Several dispatchers for one process (dispatcher-group.ts): each one's own variables, as
 * `dispatcherEnv` writes them, in the JSON array DISPATCHERS.
 */
export function dispatcherGroupEnv(configs: readonly DispatcherConfig[]): Record<string, string> {
  return { DISPATCHERS: JSON.stringify(configs.map(dispatcherEnv)) };
}

/**
 * The dispatchers a process runs: those of DISPATCHERS when it is set, else the one its own
 * variables describe. A bad entry is a ConfigError naming it and its variable.
 */
export function readDispatcherConfigs(env: Env): DispatcherConfig[] {
  if (env.DISPATCHERS === undefined) return [readDispatcherConfig(env)];
  let entries: unknown;
  try {
    entries = JSON.parse(env.DISPATCHERS);
  } catch {
    throw new ConfigError("DISPATCHERS is not JSON");
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new ConfigError("DISPATCHERS must be a non-empty array of environments");
  const configs = entries.map((entry: unknown, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw new ConfigError(`DISPATCHERS[${i}] is not an object of variables`);
    try {
      return readDispatcherConfig(entry as Env);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`DISPATCHERS[${i}]: ${err.message}`);
      throw err;
    }
  });
  const names = new Set<string>();
  for (const c of configs) {
    if (names.has(c.name)) throw new ConfigError(`DISPATCHERS names ${c.name} twice`);
    names.add(c.name);
  }
  if (new Set(configs.map((c) => c.amqpUrl)).size > 1)
    throw new ConfigError("DISPATCHERS must share one AMQP_URL (they share one connection)");
  return configs;
}

/** Reads what `dispatcherEnv` wrote; throws a ConfigError naming the first bad or missing variable. */
export function readDispatcherConfig(env: Env): DispatcherConfig {
  const mode = oneOf(env, "DISPATCH_MODE", ["trigger", "dead-letter"], "trigger");
  return {
    name: required(env, "DISPATCHER_NAME"),
    amqpUrl: required(env, "AMQP_URL"),
    queue: required(env, "QUEUE_NAME"),
    subscriberUrl: required(env, "SUBSCRIBER"),
    parallelism: readNumber(env, "PARALLELISM", DISPATCHER_DEFAULTS.parallelism, {
      min: 1,
      integer: true,
    }),
    mode,
    brokerExchange: required(env, "BROKER_EXCHANGE"),
    // Empty: no dead-letter exchange (the effective delivery names no sink); failures are dropped.
    deadLetterExchange: mode === "trigger" ? (env.DLX_NAME ?? "") : "",
    policy: {
      retry: readNumber(env, "RETRY", DISPATCHER_DEFAULTS.retry, { min: 0, integer: true }),
      backoffPolicy: oneOf(
        env,
        "BACKOFF_POLICY",
        ["linear", "exponential"],
        DISPATCHER_DEFAULTS.backoffPolicy,
      ),
      backoffDelayMs: readNumber(
        env,
        "BACKOFF_DELAY_MS",
        mode === "trigger"
          ? DISPATCHER_DEFAULTS.backoffDelayMs
          : DISPATCHER_DEFAULTS.deadLetterBackoffDelayMs,
        { min: 0 },
      ),
      // 0 travels as "no timeout".
      timeoutMs:
        readNumber(env, "TIMEOUT_MS", DISPATCHER_DEFAULTS.timeoutMs, { min: 0 }) || undefined,
    },
    ...(env.BACKLOG_SCALING ? { backlog: backlogScaling(env.BACKLOG_SCALING) } : {}),
  };
}

/** The platform writes it from a checked ScaledObject; a reader still refuses what is not one. */
function backlogScaling(raw: string): BacklogScaling {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError("BACKLOG_SCALING is not JSON");
  }
  const v = value as Partial<BacklogScaling> | null;
  const fields = [
    "minReplicas",
    "maxReplicas",
    "pollingIntervalMs",
    "cooldownMs",
    "value",
    "activationValue",
    "hpaSyncMs",
  ] as const;
  for (const field of fields)
    if (typeof v?.[field] !== "number" || v[field] < 0)
      throw new ConfigError(`BACKLOG_SCALING.${field} must be a number ≥ 0`);
  if (typeof v!.countsUnacked !== "boolean")
    throw new ConfigError("BACKLOG_SCALING.countsUnacked must be true or false");
  if (!(v!.value! > 0) || !(v!.pollingIntervalMs! > 0))
    throw new ConfigError("BACKLOG_SCALING.value and .pollingIntervalMs must be above 0");
  for (const way of ["scaleUp", "scaleDown"] as const) {
    const rules = v!.behavior?.[way];
    if (
      typeof rules?.stabilizationMs !== "number" ||
      !["Max", "Min", "Disabled"].includes(rules.selectPolicy) ||
      !Array.isArray(rules.policies) ||
      !(rules.policies as unknown[]).every(isPolicy)
    )
      throw new ConfigError(`BACKLOG_SCALING.behavior.${way} is not a set of HPA scaling rules`);
  }
  return v as BacklogScaling;
}

function isPolicy(value: unknown): boolean {
  const p = value as Partial<ScalingPolicy> | null;
  return (
    (p?.type === "Pods" || p?.type === "Percent") && Number(p.value) > 0 && Number(p.periodMs) > 0
  );
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is not set`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = readString(env, name, fallback);
  if (!(allowed as readonly string[]).includes(value))
    throw new ConfigError(`${name}=${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  return value as T;
}
