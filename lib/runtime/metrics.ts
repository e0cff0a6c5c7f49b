/**
 * Prometheus metrics through OpenTelemetry, on their own port so scraping never takes the one
 * port Knative gives a container's traffic.
 */
import { metrics, type Meter } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { FunctionConfig } from "./config.js";
import { processResource } from "./resource.js";

export interface FunctionMetrics {
  meter: Meter;
  /** The build's version (`service.version`). */
  version: string;
  shutdown(): Promise<void>;
}

declare const __LEVELER_VERSION__: string | undefined;
const version = typeof __LEVELER_VERSION__ === "string" ? __LEVELER_VERSION__ : "dev";

export function startMetrics(config: FunctionConfig): FunctionMetrics {
  const exporter = config.metricsPort
    ? new PrometheusExporter({ port: config.metricsPort, host: config.server.host })
    : undefined;
  const provider = new MeterProvider({
    resource: processResource({
      [ATTR_SERVICE_NAME]: config.service,
      [ATTR_SERVICE_VERSION]: version,
      ...(config.revision ? { "knative.revision": config.revision } : {}),
    }),
    readers: exporter ? [exporter] : [],
  });
  metrics.setGlobalMeterProvider(provider);
  return {
    meter: provider.getMeter("leveler", version),
    version,
    shutdown: () => provider.shutdown(),
  };
}
