/**
 * The dispatcher process, one per Trigger (and per dead-letter queue with a sink), configured
 * through its environment as eventing-rabbitmq configures its dispatcher Deployments. Reports its
 * counters to the platform over the IPC channel when it has one.
 */
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
  log: (line) => console.log(`[dispatcher ${name}] ${line}`),
  ...(process.send ? { onStats: (stats) => process.send?.({ kind: "stats", stats }) } : {}),
};

const dispatcher = new Dispatcher(options);
await dispatcher.start();

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  options.log?.(`${signal}: finishing deliveries in flight`);
  dispatcher.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
// The platform went away without telling us: do not linger as an orphan.
process.on("disconnect", () => stop("platform gone"));
