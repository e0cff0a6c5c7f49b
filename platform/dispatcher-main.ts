/**
 * The dispatcher process, one per Trigger (and per dead-letter queue with a sink), configured
 * through its environment as eventing-rabbitmq configures its dispatcher Deployments. Reports its
 * counters to the platform over the IPC channel when it has one.
 */
import { readFunctionConfig, type FunctionConfig } from "../lib/runtime/config.js";
import { lineLogger } from "../lib/runtime/log.js";
import { startMetrics } from "../lib/runtime/metrics.js";
import { exitWithParent } from "../lib/runtime/parent-watch.js";
import { startTelemetry } from "../lib/runtime/telemetry.js";
import { createDispatcherMetrics } from "./broker/dispatch-metrics.js";
import { Dispatcher, type DispatcherOptions } from "./broker/dispatcher.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`dispatcher: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

function number(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`dispatcher: ${name}=${raw} is not a number ≥ 0`);
    process.exit(2);
  }
  return value;
}

const name = required("DISPATCHER_NAME");
const log = lineLogger(`dispatcher ${name}`);
// Metrics and traces as every function has them; several dispatchers share a host locally, so
// the metrics endpoint is off unless the platform gives each its own METRICS_PORT.
let functionConfig: FunctionConfig;
try {
  functionConfig = readFunctionConfig(
    {
      ...process.env,
      METRICS_PORT: process.env.METRICS_PORT || "0",
      K_SERVICE: process.env.K_SERVICE || `dispatcher-${name}`,
    },
    `dispatcher-${name}`,
  );
} catch (err) {
  console.error(`dispatcher: ${(err as Error).message}`);
  process.exit(2);
}
const metrics = startMetrics(functionConfig);
const telemetry = startTelemetry({
  config: functionConfig.telemetry,
  service: functionConfig.service,
  version: metrics.version,
  meter: metrics.meter,
  log,
});
const options: DispatcherOptions = {
  name,
  amqpUrl: required("AMQP_URL"),
  queue: required("QUEUE_NAME"),
  subscriberUrl: required("SUBSCRIBER"),
  parallelism: Math.max(1, number("PARALLELISM", 1)),
  mode: process.env.DISPATCH_MODE === "dead-letter" ? "dead-letter" : "trigger",
  brokerExchange: required("BROKER_EXCHANGE"),
  deadLetterExchange: process.env.DLX_NAME ?? "",
  policy: {
    retry: number("RETRY", 0),
    backoffPolicy: process.env.BACKOFF_POLICY === "linear" ? "linear" : "exponential",
    backoffDelayMs: number("BACKOFF_DELAY_MS", 50),
    timeoutMs: number("TIMEOUT_MS", 30_000),
  },
  log,
  ...(process.send ? { onStats: (stats) => process.send?.({ kind: "stats", stats }) } : {}),
  telemetry,
  metrics: createDispatcherMetrics({
    meter: metrics.meter,
    trigger: name,
    queue: required("QUEUE_NAME"),
    queueDepth: () => dispatcher.queueDepth(),
  }),
};

const dispatcher = new Dispatcher(options);
await dispatcher.start();

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  options.log?.(`${signal}: finishing deliveries in flight`);
  // Deliveries first; then what their spans and metrics still hold.
  dispatcher
    .stop()
    .then(() => telemetry.shutdown())
    .then(() => metrics.shutdown())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
// The platform went away without telling us: stop as on SIGTERM rather than linger as an orphan.
exitWithParent();
