/**
 * The dispatcher process, one per Trigger (and per dead-letter queue with a sink), configured
 * through its environment (broker/dispatcher-env.ts) as eventing-rabbitmq configures its
 * dispatcher Deployments. Reports its counters to the platform over the IPC channel when it has one.
 */
import { readFunctionConfig, type FunctionConfig } from "../lib/runtime/config.js";
import { lineLogger } from "../lib/runtime/log.js";
import { startMetrics } from "../lib/runtime/metrics.js";
import { exitWithParent } from "../lib/runtime/parent-watch.js";
import { startTelemetry } from "../lib/runtime/telemetry.js";
import { initialReplicas, startBacklogAutoscaler } from "./broker/backlog-autoscaler.js";
import { createDispatcherMetrics } from "./broker/dispatch-metrics.js";
import { Dispatcher, type DispatcherOptions } from "./broker/dispatcher.js";
import { readDispatcherConfig, type DispatcherConfig } from "./broker/dispatcher-env.js";
import { dispatcherDeploymentName } from "./broker/scaled-object.js";

let config: DispatcherConfig;
// Metrics and traces as every function has them; several dispatchers share a host locally, so
// the metrics endpoint is off unless the platform gives each its own METRICS_PORT.
let functionConfig: FunctionConfig;
try {
  config = readDispatcherConfig(process.env);
  functionConfig = readFunctionConfig(
    {
      ...process.env,
      METRICS_PORT: process.env.METRICS_PORT || "0",
      K_SERVICE: process.env.K_SERVICE || `dispatcher-${config.name}`,
    },
    `dispatcher-${config.name}`,
  );
} catch (err) {
  // Configuration errors are one line naming the variable, no stack trace.
  console.error(`dispatcher: ${(err as Error).message}`);
  process.exit(2);
}
const log = lineLogger(`dispatcher ${config.name}`);
const metrics = startMetrics(functionConfig);
const telemetry = startTelemetry({
  config: functionConfig.telemetry,
  service: functionConfig.service,
  version: metrics.version,
  meter: metrics.meter,
  log,
});
const options: DispatcherOptions = {
  ...config,
  log,
  ...(config.backlog ? { replicas: initialReplicas(config.backlog) } : {}),
  ...(process.send ? { onStats: (stats) => process.send?.({ kind: "stats", stats }) } : {}),
  telemetry,
  metrics: createDispatcherMetrics({
    meter: metrics.meter,
    trigger: config.name,
    queue: config.queue,
    queueDepth: () => dispatcher.queueDepth(),
  }),
};

const dispatcher = new Dispatcher(options);
await dispatcher.start();
// A ScaledObject on this dispatcher: deliveries in flight follow the queue's backlog.
const stopAutoscaler = config.backlog
  ? startBacklogAutoscaler({
      spec: config.backlog,
      target: dispatcherDeploymentName(config.name),
      // What KEDA's rabbitmq scaler counts: ready plus unacked over the management API, ready
      // only over AMQP or with excludeUnacknowledged (scaled-object.ts).
      queueLength: async () => {
        const ready = await dispatcher.queueDepth();
        if (ready === undefined) return undefined;
        return config.backlog!.countsUnacked ? ready + dispatcher.unacked : ready;
      },
      setReplicas: (replicas) => dispatcher.setReplicas(replicas),
      onScale: (event) => {
        log(`scale ${event.function}: ${event.from} → ${event.to} (${event.reason})`);
        process.send?.({ kind: "scale", event });
      },
    })
  : () => undefined;

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  options.log?.(`${signal}: finishing deliveries in flight`);
  stopAutoscaler();
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
