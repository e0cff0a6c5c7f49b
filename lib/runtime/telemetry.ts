/**
 * Tracing for every function (and the dispatchers), set up in one place: the OpenTelemetry Node
 * SDK with a resource naming the process, the live sampler fed by the watched config file, and
 * the exporters (JSON lines locally, OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set). The
 * applied ratio is exported as the gauge `leveler_telemetry_sampler_ratio`.
 *
 * Spans are made by hand at the few places that matter (HTTP in, publish, dispatch, process), not
 * by auto-instrumentation: it would patch modules at start (cold start) and wrap every call.
 */
import { trace, type Meter, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { watchSamplingSwitch } from "./sampling-switch-watcher.js";
import type { TelemetryConfig } from "./config.js";
import { JsonLinesSpanExporter } from "./jsonl-exporter.js";
import { LiveSampler } from "./live-sampler.js";
import { processResource } from "./resource.js";

export interface TelemetryOptions {
  config: TelemetryConfig;
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise, e.g. K_SERVICE. */
  service: string;
  version: string;
  /** Knative's K_REVISION / K_CONFIGURATION when set. */
  revision?: string | undefined;
  configuration?: string | undefined;
  meter: Meter;
  log: (line: string) => void;
  /** How often the config file is stat'ed besides fs.watch. */
  pollMs?: number;
}

export interface Telemetry {
  readonly tracer: Tracer;
  readonly sampler: LiveSampler;
  /** False when tracing is off (ratio 0 or OTEL_SDK_DISABLED): instrumentation does nothing. */
  readonly active: boolean;
  /** Exports what is buffered, stops watching; safe to call twice. */
  shutdown(): Promise<void>;
}

export const SAMPLER_RATIO_METRIC = "leveler.telemetry.sampler.ratio";

export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { config, log } = options;
  const sampler = new LiveSampler(config.disabled ? 0 : config.initialRatio, config.parentBased);
  options.meter
    .createObservableGauge(SAMPLER_RATIO_METRIC, {
      description: "Trace sampler ratio this process applies (0 = tracing off)",
    })
    .addCallback((result) => result.observe(sampler.ratio));
  const tracer = trace.getTracer("leveler", options.version);
  if (config.disabled) {
    log("tracing disabled (OTEL_SDK_DISABLED=true)");
    return { tracer, sampler, active: false, shutdown: () => Promise.resolve() };
  }

  const watcher = watchSamplingSwitch({
    path: config.configFile,
    log,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    onChange: ({ samplerRatio }) => {
      if (samplerRatio === sampler.ratio) return;
      log(`sampler ratio ${sampler.ratio} → ${samplerRatio}`);
      sampler.ratio = samplerRatio;
    },
  });
  if (watcher.initial) sampler.ratio = watcher.initial.samplerRatio;

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
  if (processors.length === 0)
    log(
      "tracing has no exporter (set LEVELER_TRACES_DIR or OTEL_EXPORTER_OTLP_ENDPOINT); sampled spans are dropped",
    );

  const sdk = new NodeSDK({
    resource: processResource({
      [ATTR_SERVICE_NAME]: config.serviceName ?? options.service,
      [ATTR_SERVICE_VERSION]: options.version,
      ...(options.revision ? { "knative.revision": options.revision } : {}),
      ...(options.configuration ? { "knative.configuration": options.configuration } : {}),
      "process.pid": process.pid,
    }),
    // processResource runs the one detector wanted (OTEL_RESOURCE_ATTRIBUTES); the others would
    // probe the host at every cold start.
    autoDetectResources: false,
    sampler,
    spanProcessors: processors,
    // W3C Trace Context is what the CloudEvents `traceparent` extension and HTTP carry.
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
    // Metrics have their own MeterProvider (Prometheus, see metrics.ts) and there are no logs:
    // empty lists, or the SDK would start OTLP metric and log exporters from its defaults.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  return {
    tracer,
    sampler,
    get active() {
      return sampler.active;
    },
    shutdown: () =>
      (stopping ??= (async () => {
        watcher.stop();
        await sdk.shutdown().catch((err: Error) => log(`telemetry shutdown: ${err.message}`));
      })()),
  };
}
