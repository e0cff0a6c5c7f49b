/** Everything the local platform reads from its environment, in one place. */
import { resolve } from "node:path";
import { ConfigError, readNumber, readString } from "../lib/runtime/config.js";
import { parsePassEnv } from "./serving/child-env.js";
import { parseGoDuration } from "./serving/go-duration.js";

export interface PlatformConfig {
  amqpUrl: string;
  /** Whether AMQP_URL was left at its default (only then may a private node be started). */
  amqpUrlIsDefault: boolean;
  /** LEVELER_RABBITMQ_NODES: nodes of the private broker; above 1, a private cluster (rabbitmq-cluster.ts). */
  rabbitmqNodes: number;
  stateDir: string;
  /** Stands in for the Broker UID in RabbitMQ names; unique per test run. */
  instance: string;
  ingressPort: number;
  /** Where the public ingress listens: loopback unless the user opens it to the network. */
  ingressHost: string;
  statusPort: number;
  statusHost: string;
  manifestDirs: string[];
  distDir: string;
  /** How long a new replica may take to pass its readiness probe. */
  readinessTimeoutMs: number;
  /** Requests the activator may hold for one Service while no replica is ready. */
  activatorMaxWaiting: number;
  autoscalerTickMs: number;
  /**
   * HPA_SYNC_PERIOD: how often the HPA behind a dispatcher's ScaledObject decides, as
   * kube-controller-manager's --horizontal-pod-autoscaler-sync-period (Go duration, 15s).
   */
  hpaSyncPeriodMs: number;
  logScaleEvents: boolean;
  /** How often the timeline (dashboard, `GET /api/timeline`) samples rates, depths and replicas. */
  timelineIntervalMs: number;
  /** Names passed unchanged to every replica and dispatcher, besides serving/child-env.ts's list. */
  passEnv: string[];
}

export const DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";

export function readPlatformConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): PlatformConfig {
  const instance = readString(env, "LEVELER_INSTANCE", "local");
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(instance))
    throw new ConfigError(
      `LEVELER_INSTANCE=${JSON.stringify(instance)} must be lower-case letters, digits and dashes`,
    );
  const passEnv = parsePassEnv(env.LEVELER_PASS_ENV);
  if (typeof passEnv === "string") throw new ConfigError(passEnv);
  return {
    amqpUrl: readString(env, "AMQP_URL", DEFAULT_AMQP_URL),
    amqpUrlIsDefault: !env.AMQP_URL,
    // Odd, so that a majority survives the loss of a minority (quorum queues need one).
    rabbitmqNodes: readRabbitmqNodes(env),
    stateDir: resolve(cwd, readString(env, "LEVELER_STATE_DIR", ".leveler")),
    instance,
    ingressPort: readNumber(env, "INGRESS_PORT", 8080, { min: 0, max: 65535, integer: true }),
    ingressHost: readString(env, "INGRESS_HOST", "127.0.0.1"),
    statusPort: readNumber(env, "STATUS_PORT", 8090, { min: 0, max: 65535, integer: true }),
    statusHost: readString(env, "STATUS_HOST", "127.0.0.1"),
    manifestDirs: readString(env, "LEVELER_MANIFESTS", "knative,rabbitmq-eventing")
      .split(",")
      .map((d) => resolve(cwd, d.trim())),
    distDir: resolve(cwd, readString(env, "LEVELER_DIST", "dist")),
    readinessTimeoutMs: readNumber(env, "READINESS_TIMEOUT_MS", 20_000, { min: 100 }),
    activatorMaxWaiting: readNumber(env, "ACTIVATOR_MAX_WAITING", 1000, { min: 1, integer: true }),
    autoscalerTickMs: readNumber(env, "AUTOSCALER_TICK_MS", 2000, { min: 50 }),
    hpaSyncPeriodMs: readHpaSyncPeriod(env),
    logScaleEvents: readString(env, "LEVELER_LOG_SCALE", "true") !== "false",
    timelineIntervalMs: readNumber(env, "LEVELER_TIMELINE_INTERVAL_MS", 250, {
      min: 50,
      max: 60_000,
    }),
    passEnv,
  };
}

function readHpaSyncPeriod(env: Record<string, string | undefined>): number {
  const raw = readString(env, "HPA_SYNC_PERIOD", "15s");
  const ms = parseGoDuration(raw);
  if (ms === undefined || ms < 100)
    throw new ConfigError(
      `HPA_SYNC_PERIOD=${JSON.stringify(raw)} must be a duration of at least 100ms, such as 15s`,
    );
  return ms;
}

function readRabbitmqNodes(env: Record<string, string | undefined>): number {
  const nodes = readNumber(env, "LEVELER_RABBITMQ_NODES", 1, { min: 1, max: 7, integer: true });
  if (nodes % 2 === 0)
    throw new ConfigError(
      `LEVELER_RABBITMQ_NODES=${nodes} must be odd (1, 3, 5 or 7): quorum queues need a majority of their members`,
    );
  return nodes;
}
