/**
 * The part of tracing that only a process that records spans needs: the tracer provider with its
 * sampler and batch processors, the exporters (JSON lines locally, OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set), the AsyncLocalStorage context manager and the W3C
 * propagator, registered with the OpenTelemetry API. telemetry.ts loads this module only once the
 * sampler ratio is above 0, so a replica started at ratio 0 (the default) never evaluates it.
 *
 * It is the OpenTelemetry Node SDK, configured with empty lists where leveler uses nothing (no
 * instrumentations, metric readers or log processors); what it could otherwise load is stubbed out
 * of the bundles in build.mjs. Loading it lazily is what keeps it off the cold start.
 */
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { TelemetryConfig } from "./config.js";
import { JsonLinesSpanExporter } from "./jsonl-exporter.js";
import { LiveSampler } from "./live-sampler.js";
import { processResource } from "./resource.js";
import type { SamplerRatio } from "./sampler-ratio.js";

export interface TracingSdkOptions {
  config: TelemetryConfig;
  service: string;
  version: string;
  revision?: string | undefined;
  configuration?: string | undefined;
  /** The switch the sampler follows (parent-based unless the config says otherwise). */
  ratio: SamplerRatio;
  log: (line: string) => void;
}

export interface TracingSdk {
  /** Exports what is buffered. */
  shutdown(): Promise<void>;
}

export function startTracingSdk(options: TracingSdkOptions): TracingSdk {
  const { config, log } = options;
  const processors: SpanProcessor[] = [];
  if (config.tracesDir)
    processors.push(
      new BatchSpanProcessor({
        ...config.batch,
        exporter: new JsonLinesSpanExporter({
          dir: config.tracesDir,
          name: `${options.service}-${process.pid}`,
        }),
      }),
    );
  // The http exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) itself.
  if (config.otlpEndpoint)
    processors.push(new BatchSpanProcessor({ ...config.batch, exporter: new OTLPTraceExporter() }));
  if (processors.length === 0) {
    log(
      "tracing has no exporter (set LEVELER_TRACES_DIR or OTEL_EXPORTER_OTLP_ENDPOINT); sampled spans are dropped",
    );
    return { shutdown: () => Promise.resolve() };
  }

  const sdk = new NodeSDK({
    // processResource runs the one detector wanted (OTEL_RESOURCE_ATTRIBUTES); the others would
    // probe the host.
    resource: processResource({
      [ATTR_SERVICE_NAME]: config.serviceName ?? options.service,
      [ATTR_SERVICE_VERSION]: options.version,
      ...(options.revision ? { "knative.revision": options.revision } : {}),
      ...(options.configuration ? { "knative.configuration": options.configuration } : {}),
      "process.pid": process.pid,
    }),
    autoDetectResources: false,
    sampler: new LiveSampler(options.ratio, config.parentBased),
    spanProcessors: processors,
    // W3C Trace Context is what the CloudEvents `traceparent` extension and HTTP carry.
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    // Metrics have their own MeterProvider (Prometheus, see metrics.ts) and there are no logs:
    // empty lists, or the SDK would start OTLP metric and log exporters from its defaults.
    metricReaders: [],
    logRecordProcessors: [],
  });
  // Registers the tracer provider, the AsyncLocalStorage context manager and the propagator.
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
