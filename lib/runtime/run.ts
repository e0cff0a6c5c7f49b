/**
 * The one entry point every function's main uses: read config (a bad value is one line and exit
 * code 2, no stack trace), start metrics, build the app, serve it, and shut down in order.
 */
import type { Meter } from "@opentelemetry/api";
import { ConfigError, type FunctionConfig } from "./config.js";
import { lineLogger } from "./log.js";
import { startMetrics } from "./metrics.js";
import { exitWithParent } from "./parent-watch.js";
import { serve, type RequestListener } from "./serve.js";
import { startTelemetry, type Telemetry } from "./telemetry.js";

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
  const main = async () => {
    exitWithParent();
    const config = readConfig();
    const log = lineLogger(config.service);
    const metrics = startMetrics(config);
    await metrics.listening;
    const telemetry = startTelemetry({
      config: config.telemetry,
      service: config.service,
      version: metrics.version,
      revision: config.revision,
      configuration: config.configuration,
      meter: metrics.meter,
      log,
    });
    const parts = await build(config, { meter: metrics.meter, telemetry, log });
    const running = await serve({
      listener: parts.listener,
      port: config.port,
      name: config.service,
      limits: config.server,
      log,
      ...(parts.ready ? { ready: parts.ready } : {}),
      onShutdown: async () => {
        await parts.onShutdown?.();
        await telemetry.shutdown();
        await metrics.shutdown();
      },
    });
    log(`listening on :${running.port}`);
  };
  main().catch((err: unknown) => {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    console.error(`${name}: ${message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
}
