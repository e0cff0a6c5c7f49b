/**
 * The one entry point every function's main uses: read config (a bad value is one line and exit
 * code 2, no stack trace), build the app, serve it, start metrics, and shut down in order.
 *
 * Metrics start METRICS_DELAY_MS after listening: the SDK and its scrape server cost a start ~12 ms
 * to listening, and a consumer's start is its cold start. Not at its first answer either: that is when
 * the dispatcher publishes the reply and the broker routes it, and on a small machine the load
 * would take a core from them. Until then the instruments record into a DeferredMeter, which
 * hands what they recorded over. A METRICS_PORT in use still ends the function with one line,
 * only later.
 */
import type { Meter } from "@opentelemetry/api";
import { ConfigError, type FunctionConfig } from "./config.js";
import { DeferredMeter } from "./deferred-meter.js";
import { lineLogger } from "./log.js";
import { exitWithParent } from "./parent-watch.js";
import { serve, type RequestListener } from "./serve.js";
import { startTelemetry, type Telemetry } from "./telemetry.js";
import { VERSION } from "./version.js";

/** How long after listening metrics start: well after a cold start's first answer. */
export const METRICS_DELAY_MS = 500;

export interface FunctionParts {
  /** The function's requests, probes aside; a Hono app through honoListener (hono-listener.ts). */
  listener: RequestListener;
  ready?: () => boolean;
  onShutdown?: () => Promise<void>;
}

export interface RunOptions {
  /**
   * Whether the function starts traces (the ingress, the system's edge): its tracing SDK loads
   * as soon as the sampler ratio is above 0. A function that only continues traces loads it for
   * the first request that carries one (telemetry.ts says why).
   */
  startsTraces?: boolean;
}

export interface FunctionContext {
  meter: Meter;
  telemetry: Telemetry;
  log: (line: string) => void;
}

export function runFunction<C extends FunctionConfig>(
  name: string,
  readConfig: () => C,
  build: (config: C, context: FunctionContext) => Promise<FunctionParts> | FunctionParts,
  options: RunOptions = {},
): void {
  const fail = (err: unknown) => {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    console.error(`${name}: ${message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  };
  const main = async () => {
    exitWithParent();
    const config = readConfig();
    const log = lineLogger(config.service);
    const meter = new DeferredMeter();
    let stopMetrics = (): Promise<void> => Promise.resolve();
    const loadMetrics = () => {
      import("./metrics.js")
        .then(({ startMetrics }) => {
          const metrics = startMetrics(config);
          stopMetrics = () => metrics.shutdown();
          const { dropped } = meter.attach(metrics.meter);
          if (dropped) log(`metrics: ${dropped} records made before the SDK loaded were dropped`);
          return metrics.listening;
        })
        .catch(fail);
    };
    const telemetry = startTelemetry({
      config: config.telemetry,
      service: config.service,
      version: VERSION,
      revision: config.revision,
      configuration: config.configuration,
      meter,
      log,
      loadSdkOn: options.startsTraces ? "ratio" : "request",
    });
    const parts = await build(config, { meter, telemetry, log });
    const running = await serve({
      listener: parts.listener,
      port: config.port,
      sharedPort: config.sharedPort,
      containerConcurrency: config.containerConcurrency,
      name: config.service,
      limits: config.server,
      log,
      ...(parts.ready ? { ready: parts.ready } : {}),
      onShutdown: async () => {
        await parts.onShutdown?.();
        await telemetry.shutdown();
        await stopMetrics();
      },
    });
    // The concurrency Knative's autoscaler scales on, from the replica itself: its rate is the
    // average number of requests in flight (busy-time.ts). The local platform reads it where its
    // own front is no longer in the request path (a shared port); on a cluster the queue-proxy
    // reports the same to the autoscaler, and this is one more series to chart.
    meter
      .createObservableCounter("leveler.http.server.busy_time_seconds", {
        description:
          "Seconds requests have spent in this server, those in flight included: its rate is the average number of requests in flight",
        unit: "s",
      })
      .addCallback((result) => result.observe(running.busySeconds()));
    log(`listening on :${running.port}`);
    setTimeout(loadMetrics, METRICS_DELAY_MS).unref();
  };
  main().catch(fail);
}
