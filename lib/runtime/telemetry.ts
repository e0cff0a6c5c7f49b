/**
 * Tracing for every function (and the dispatchers), set up in one place: the live sampler fed by
 * the watched config file, and the applied ratio exported as the gauge
 * `leveler_telemetry_sampler_ratio`. The SDK itself (provider, exporters, context manager,
 * propagator: tracing-sdk.ts) is loaded only once it can be needed, not at start: at ratio 0
 * nothing records, and loading and evaluating it would only lengthen every cold start. A process
 * that starts traces (the ingress) or continues them from messages (a dispatcher) loads it as soon
 * as the ratio is above 0. A function that only continues traces from HTTP requests (a consumer)
 * loads it for the first request that carries one (`loadSdk`, which tracing.ts awaits): a
 * consumer's start is its cold start, and at the manifests' ratio, 0.01, loading the SDK at start
 * cost the order replica 37-56 ms to its first answer (measured: knative/README.md, "Cold start"),
 * while most of its replicas never see a sampled event.
 *
 * Spans are made by hand at the few places that matter (HTTP in, publish, dispatch, process), not
 * by auto-instrumentation: it would patch modules at start (cold start) and wrap every call.
 */
import { trace, type Meter, type Tracer } from "@opentelemetry/api";
import { watchSamplingSwitch } from "./sampling-switch-watcher.js";
import type { TelemetryConfig } from "./config.js";
import { SamplerRatio } from "./sampler-ratio.js";
import type { TracingSdk } from "./tracing-sdk.js";

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
  /**
   * "ratio": the SDK loads whenever the ratio is above 0, at start or as the switch is turned
   * up (the default). "request": only at the first `loadSdk()`, for a process whose spans all
   * continue traces that HTTP requests bring.
   */
  loadSdkOn?: "ratio" | "request";
}

export interface Telemetry {
  readonly tracer: Tracer;
  /** The ratio applied now; the SDK's sampler (live-sampler.ts) reads it. */
  readonly sampler: SamplerRatio;
  /** False when tracing is off (ratio 0 or OTEL_SDK_DISABLED): instrumentation does nothing. */
  readonly active: boolean;
  /**
   * Undefined once spans can record (the SDK is loaded, or tried and failed) or while tracing is
   * off; otherwise the SDK's loading, started by this call if it had not begun. Until it settles
   * the tracer is the API's no-op, and a span made then would be lost.
   */
  loadSdk(): Promise<void> | undefined;
  /** Exports what is buffered, stops watching; safe to call twice. */
  shutdown(): Promise<void>;
}

export const SAMPLER_RATIO_METRIC = "leveler.telemetry.sampler.ratio";

export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { config, log } = options;
  const sampler = new SamplerRatio(config.disabled ? 0 : config.initialRatio);
  options.meter
    .createObservableGauge(SAMPLER_RATIO_METRIC, {
      description: "Trace sampler ratio this process applies (0 = tracing off)",
    })
    .addCallback((result) => result.observe(sampler.ratio));
  const tracer = trace.getTracer("leveler", options.version);
  if (config.disabled) {
    log("tracing disabled (OTEL_SDK_DISABLED=true)");
    return {
      tracer,
      sampler,
      active: false,
      loadSdk: () => undefined,
      shutdown: () => Promise.resolve(),
    };
  }

  const onRatio = (options.loadSdkOn ?? "ratio") === "ratio";
  let sdk: Promise<TracingSdk | undefined> | undefined;
  let loaded = false;
  /** loadSdk()'s answer while it loads: one promise for every request that waits. */
  let ready: Promise<void> | undefined;
  const loadSdk = () =>
    (sdk ??= import("./tracing-sdk.js")
      .then(({ startTracingSdk }) =>
        startTracingSdk({
          config,
          service: options.service,
          version: options.version,
          revision: options.revision,
          configuration: options.configuration,
          ratio: sampler,
          log,
        }),
      )
      .catch((err: Error) => {
        log(`tracing could not start: ${err.message}`);
        return undefined;
      })
      .finally(() => {
        loaded = true;
      }));
  const watcher = watchSamplingSwitch({
    path: config.configFile,
    log,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    onChange: ({ samplerRatio }) => {
      if (samplerRatio === sampler.ratio) return;
      log(`sampler ratio ${sampler.ratio} → ${samplerRatio}`);
      sampler.ratio = samplerRatio;
      if (sampler.active && onRatio) void loadSdk();
    },
  });
  if (watcher.initial) sampler.ratio = watcher.initial.samplerRatio;
  if (sampler.active && onRatio) void loadSdk();

  let stopping: Promise<void> | undefined;
  return {
    tracer,
    sampler,
    get active() {
      return sampler.active;
    },
    loadSdk: () => (loaded || !sampler.active ? undefined : (ready ??= loadSdk().then(() => {}))),
    shutdown: () =>
      (stopping ??= (async () => {
        watcher.stop();
        await (
          await sdk
        )
          ?.shutdown()
          .catch((err: Error) => log(`telemetry shutdown: ${err.message}`));
      })()),
  };
}
