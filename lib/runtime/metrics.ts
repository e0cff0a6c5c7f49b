/**
 * Prometheus metrics through OpenTelemetry, on their own port so scraping never takes the one
 * port Knative gives a container's traffic. A function loads this module half a second after it
 * listens (run.ts, deferred-meter.ts); the dispatchers at once.
 */
import { metrics, type Meter } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { FunctionConfig } from "./config.js";
import { listenError } from "./listen-error.js";
import { processResource } from "./resource.js";
import { VERSION } from "./version.js";

export interface FunctionMetrics {
  meter: Meter;
  /** Settles once the metrics port listens; rejects with one line if it cannot. */
  listening: Promise<void>;
  shutdown(): Promise<void>;
}

export function startMetrics(config: FunctionConfig): FunctionMetrics {
  // Started here rather than by the exporter itself, which would only report a port it cannot
  // take to OpenTelemetry's diagnostic logger: the function would run on, unscraped, saying nothing.
  const port = config.metricsPort;
  const exporter = port
    ? new PrometheusExporter({
        port,
        host: config.server.host,
        preventServerStart: true,
      })
    : undefined;
  const listening =
    exporter && port
      ? exporter.startServer().catch((err: NodeJS.ErrnoException) => {
          throw listenError(err, config.server.host, port, "METRICS_PORT");
        })
      : Promise.resolve();
  const provider = new MeterProvider({
    resource: processResource({
      [ATTR_SERVICE_NAME]: config.service,
      [ATTR_SERVICE_VERSION]: VERSION,
      ...(config.revision ? { "knative.revision": config.revision } : {}),
    }),
    readers: exporter ? [exporter] : [],
  });
  metrics.setGlobalMeterProvider(provider);
  return {
    meter: provider.getMeter("leveler", VERSION),
    listening,
    shutdown: () => provider.shutdown(),
  };
}
