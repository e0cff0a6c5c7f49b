/**
 * The one entry point every function's main uses: read config (a bad value is one line and exit
 * code 2, no stack trace), build the app, serve it, start metrics, and shut down in order.
 *
 * Metrics come after the first answer (or METRICS_DELAY_MS after listening, whichever is first):
 * the SDK and its scrape server cost a start ~12 ms, and a consumer's start is its cold start.
 * Until then the instruments record into a DeferredMeter, which hands what they recorded over.
 * A METRICS_PORT in use still ends the function with one line, only a moment later.
 */
import type { Meter } from "@opentelemetry/api";
import { ConfigError, type FunctionConfig } from "./config.js";
import { DeferredMeter } from "./deferred-meter.js";
import { lineLogger } from "./log.js";
import { exitWithParent } from "./parent-watch.js";
import { serve, type RequestListener } from "./serve.js";
import { startTelemetry, type Telemetry } from "./telemetry.js";
import { VERSION } from "./version.js";

/** The latest metrics start after listening, for a replica that has no request yet. */
export const METRICS_DELAY_MS = 500;

export interface FunctionParts {
  /** The function's requests, probes aside; a Hono app through honoListener (hono-listener.ts). */
  listener: RequestListener;
  ready?: () => boolean;
  onShutdown?: () => Promise<void>;
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
    let metricsStarted = false;
    const startMetrics = () => {
      if (metricsStarted) return;
      metricsStarted = true;
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
    });
    const parts = await build(config, { meter, telemetry, log });
    const running = await serve({
      listener: afterFirstAnswer(parts.listener, startMetrics),
      port: config.port,
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
    log(`listening on :${running.port}`);
    setTimeout(startMetrics, METRICS_DELAY_MS).unref();
  };
  main().catch(fail);
}

/**
 * `listener`, calling `then` (on the next turn) once its answer to the first request it got is
 * finished; after that, one boolean test per request. Probes never reach it (serve.ts answers
 * them). An answer that never finishes leaves it to run.ts's timer.
 */
export function afterFirstAnswer(listener: RequestListener, then: () => void): RequestListener {
  let waiting = true;
  return (req, res) => {
    if (waiting) {
      waiting = false;
      res.once("finish", () => setImmediate(then));
    }
    listener(req, res);
  };
}
