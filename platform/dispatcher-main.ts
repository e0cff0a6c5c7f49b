/**
 * The dispatcher process, configured through its environment (broker/dispatcher-env.ts) as
 * eventing-rabbitmq configures its dispatcher Deployments: one Trigger's (or one dead-letter
 * queue's) dispatcher, or, with DISPATCHERS, several sharing the process and one connection
 * (broker/dispatcher-group.ts). Reports each one's counters to the platform over the IPC channel
 * when it has one.
 */
import { readFunctionConfig, type FunctionConfig } from "../lib/runtime/config.js";
import { lineLogger } from "../lib/runtime/log.js";
import { startMetrics } from "../lib/runtime/metrics.js";
import { exitWithParent } from "../lib/runtime/parent-watch.js";
import { startTelemetry } from "../lib/runtime/telemetry.js";
import { VERSION } from "../lib/runtime/version.js";
import { initialReplicas, startBacklogAutoscaler } from "./broker/backlog-autoscaler.js";
import { createDispatcherMetrics } from "./broker/dispatch-metrics.js";
import type { DispatcherStats } from "./broker/dispatcher.js";
import { DispatcherGroup } from "./broker/dispatcher-group.js";
import { readDispatcherConfigs, type DispatcherConfig } from "./broker/dispatcher-env.js";
import { dispatcherDeploymentName } from "./broker/scaled-object.js";

let configs: DispatcherConfig[];
// Metrics and traces as every function has them; several dispatchers share a host locally, so
// the metrics endpoint is off unless the platform gives each its own METRICS_PORT.
let functionConfig: FunctionConfig;
try {
  configs = readDispatcherConfigs(process.env);
  const defaultName = configs.length === 1 ? `dispatcher-${configs[0]!.name}` : "dispatchers";
  functionConfig = readFunctionConfig(
    {
      ...process.env,
      METRICS_PORT: process.env.METRICS_PORT || "0",
      K_SERVICE: process.env.K_SERVICE || defaultName,
    },
    defaultName,
  );
} catch (err) {
  // Configuration errors are one line naming the variable, no stack trace.
  console.error(`dispatcher: ${(err as Error).message}`);
  process.exit(2);
}
const processLog = lineLogger(
  configs.length === 1 ? `dispatcher ${configs[0]!.name}` : "dispatchers",
);
const metrics = startMetrics(functionConfig);
await metrics.listening.catch((err: Error) => {
  console.error(`dispatcher: ${err.message}`);
  process.exit(1);
});
const telemetry = startTelemetry({
  config: functionConfig.telemetry,
  service: functionConfig.service,
  version: VERSION,
  meter: metrics.meter,
  log: processLog,
});

// Each dispatcher keeps its own channel, consumers, retries and metrics; they share the process's
// connection (broker/dispatcher-group.ts).
const group: DispatcherGroup = new DispatcherGroup(
  configs.map((config, i) => ({
    ...config,
    log: lineLogger(`dispatcher ${config.name}`),
    ...(config.backlog ? { replicas: initialReplicas(config.backlog) } : {}),
    ...(process.send
      ? {
          onStats: (stats: DispatcherStats) =>
            process.send?.({ kind: "stats", name: config.name, stats }),
        }
      : {}),
    telemetry,
    metrics: createDispatcherMetrics({
      meter: metrics.meter,
      trigger: config.name,
      queue: config.queue,
      // Called at a scrape, once the group exists.
      queueDepth: (): Promise<number | undefined> => group.dispatchers[i]!.queueDepth(),
    }),
  })),
  { amqpUrl: configs[0]!.amqpUrl, log: processLog },
);
await group.start();

// A ScaledObject on a dispatcher: deliveries in flight follow its queue's backlog.
const stopAutoscalers = configs.map(({ name, backlog }, i) => {
  const dispatcher = group.dispatchers[i]!;
  if (!backlog) return () => undefined;
  return startBacklogAutoscaler({
    spec: backlog,
    target: dispatcherDeploymentName(name),
    // What KEDA's rabbitmq scaler counts: ready plus unacked over the management API, ready
    // only over AMQP or with excludeUnacknowledged (scaled-object.ts).
    queueLength: async () => {
      const ready = await dispatcher.queueDepth();
      if (ready === undefined) return undefined;
      return backlog.countsUnacked ? ready + dispatcher.unacked : ready;
    },
    setReplicas: (replicas) => dispatcher.setReplicas(replicas),
    onScale: (event) => {
      processLog(`scale ${event.function}: ${event.from} → ${event.to} (${event.reason})`);
      process.send?.({ kind: "scale", event });
    },
  });
});

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  processLog(`${signal}: finishing deliveries in flight`);
  for (const stopAutoscaler of stopAutoscalers) stopAutoscaler();
  // Deliveries first; then what their spans and metrics still hold.
  group
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
