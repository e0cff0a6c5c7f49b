/**
 * The platform's own Prometheus metrics, at GET /metrics on the status port: replicas per
 * function (the local counterpart of counting a Knative Service's pods) and what the autoscaler
 * sees. Built with OpenTelemetry observable gauges, serialised by the Prometheus exporter.
 */
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

/** What the gauges report for one function. */
export interface FunctionGauge {
  name: string;
  replicas: number;
  ready: number;
  desired: number;
  inFlight: number;
}

export interface FunctionGaugeSource {
  functions(): FunctionGauge[];
}

export interface PlatformMetrics {
  render(): Promise<string>;
  shutdown(): Promise<void>;
}

export function createPlatformMetrics(source: FunctionGaugeSource): PlatformMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: "leveler-platform" }),
    readers: [exporter],
  });
  const meter = provider.getMeter("leveler-platform");
  const gauge = (name: string, description: string, pick: (f: FunctionGauge) => number) =>
    meter.createObservableGauge(name, { description }).addCallback((result) => {
      for (const f of source.functions()) result.observe(pick(f), { function: f.name });
    });
  gauge(
    "leveler.function.replicas",
    "Replica processes of a function (starting, ready or terminating)",
    (f) => f.replicas,
  );
  gauge(
    "leveler.function.replicas.ready",
    "Replicas that pass their readiness probe",
    (f) => f.ready,
  );
  gauge("leveler.function.replicas.desired", "Replicas the autoscaler wants", (f) => f.desired);
  gauge(
    "leveler.function.requests.in_flight",
    "Requests in flight through the function's front",
    (f) => f.inFlight,
  );
  const serializer = new PrometheusSerializer();
  return {
    async render() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}
