/**
 * Local Knative Serving: every Service of the manifests as a LocalService (replicas, front,
 * autoscaler), the autoscaler's clock, the record of scale decisions, and the resolution of a
 * Destination (a Trigger's subscriber, a sink) to the address it stands for.
 */
import type { PlatformConfig } from "../config.js";
import { ManifestError, type Destination, type Manifests, type ServiceSpec } from "../manifests.js";
import type { TopologyPlan } from "../broker/topology.js";
import { withLocalAddresses } from "./cluster-dns.js";
import { niceFor } from "./cpu-weight.js";
import { ScaleEventLog } from "../scale-event-log.js";
import { LocalService, type ScaleEvent } from "./local-service.js";
import type { Replica } from "./replica.js";
import { readAutoscalerDefaults, scalingSpecFor, type ScalingSpec } from "./scaling-config.js";

export interface LocalServingOptions {
  manifests: Manifests;
  /** For SinkBindings whose sink is a Broker: they publish into its exchange. */
  plan: TopologyPlan;
  config: Pick<
    PlatformConfig,
    | "ingressPort"
    | "ingressHost"
    | "activatorMaxWaiting"
    | "distDir"
    | "readinessTimeoutMs"
    | "autoscalerTickMs"
    | "logScaleEvents"
  >;
  /** Where `config-autoscaler` defaults may be overridden (the platform's environment). */
  env: Record<string, string | undefined>;
  /** The largest CPU request of any Service or Trigger (cpu-weight.ts). */
  largestCpuRequest: number;
  log: (line: string) => void;
}

export interface ServingStartOptions {
  /** Environment every replica inherits (before its Service's own and its overrides). */
  baseEnv: Record<string, string>;
  /** The platform's own environment: `LEVELER_<SERVICE>_<VAR>` overrides are read from it. */
  parentEnv: Record<string, string>;
  logDir: string;
  /** What the platform itself gives one Service (after its manifest's env, before overrides). */
  serviceEnv?: (spec: ServiceSpec) => Record<string, string>;
}

export class LocalServing {
  private readonly services = new Map<string, LocalService>();
  private readonly scaling = new Map<string, ScalingSpec>();
  private readonly scaleEvents: ScaleEventLog<ScaleEvent>;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalServingOptions) {
    this.scaleEvents = new ScaleEventLog(options.config.logScaleEvents ? options.log : undefined);
    // Refuse bad autoscaling settings before anything starts, naming the Service and annotation.
    const defaults = readAutoscalerDefaults(
      options.manifests.configMaps.get("config-autoscaler"),
      options.env,
    );
    for (const spec of options.manifests.services)
      this.scaling.set(spec.name, scalingSpecFor(spec, defaults));
  }

  /** Starts every Service (consumers first, so they are there for the dispatchers; the public ingress last), then the autoscaler's clock. */
  async start({ baseEnv, parentEnv, logDir, serviceEnv }: ServingStartOptions): Promise<void> {
    const { manifests, config, log, largestCpuRequest } = this.options;
    const ordered = [...manifests.services].sort(
      (a, b) => Number(isPublic(a)) - Number(isPublic(b)),
    );
    let publicPortTaken = false;
    const publicPorts = new Map<ServiceSpec, number>();
    for (const spec of ordered)
      if (isPublic(spec) && !publicPortTaken) {
        publicPorts.set(spec, config.ingressPort);
        publicPortTaken = true;
      }
    // Every Service binds its address before any replica starts: each one's address can be in
    // another's env, as a cluster-local DNS name (cluster-dns.ts). Binding first (port 0 on
    // loopback) rather than picking free ports to bind later leaves no window in which another
    // socket takes a port that is already written into an env.
    const resolved = new Map<ServiceSpec, ServiceSpec>();
    for (const spec of ordered) {
      const publicPort = publicPorts.get(spec);
      // The runner reads `env` when it starts a replica; it is filled in below, once every
      // address is known.
      const own = { ...spec };
      resolved.set(spec, own);
      const service = new LocalService({
        spec: own,
        scaling: this.scaling.get(spec.name)!,
        maxWaiting: config.activatorMaxWaiting,
        ...(publicPort !== undefined ? { publicPort, publicHost: config.ingressHost } : {}),
        runner: {
          distDir: config.distDir,
          logDir,
          baseEnv: { ...baseEnv, ...this.sinkEnv(spec), ...serviceEnv?.(spec) },
          overrideEnv: serviceOverrides(spec, parentEnv),
          readinessTimeoutMs: config.readinessTimeoutMs,
          nice: niceFor(spec.cpuRequestMillis, largestCpuRequest),
          log,
        },
        onScale: (event) => this.scaleEvents.add(event),
      });
      await service.listen();
      this.services.set(spec.name, service);
    }
    const addresses = new Map<string, string>();
    for (const spec of ordered)
      addresses.set(`${spec.name}.${spec.namespace}`, this.services.get(spec.name)!.front.url);
    for (const spec of ordered) {
      resolved.get(spec)!.env = withLocalAddresses(spec.env, addresses);
      const service = this.services.get(spec.name)!;
      await service.start();
      log(
        `${spec.name}: ${service.runner.readyReplicas.length} replica(s) ready behind ${service.front.url}`,
      );
    }
    // The autoscaler's clock: one KPA decision per Service per tick.
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const service of this.services.values()) service.tick(now);
    }, config.autoscalerTickMs);
  }

  /** Every running Service, in start order. */
  all(): LocalService[] {
    return [...this.services.values()];
  }

  service(name: string): LocalService | undefined {
    return this.services.get(name);
  }

  /** The running public Services (the ingress). */
  publicServices(): LocalService[] {
    return this.options.manifests.services
      .filter(isPublic)
      .flatMap((spec) => this.services.get(spec.name) ?? []);
  }

  /** Where the public ingress listens (its TCP front), once started. */
  get ingressUrl(): string | undefined {
    return this.publicServices()[0]?.front.url;
  }

  /** Recent scale decisions, oldest first. */
  recentScaleEvents(): readonly ScaleEvent[] {
    return this.scaleEvents.recent();
  }

  /** A Destination as the URL a dispatcher posts to. */
  resolve(destination: Destination): string {
    if (destination.uri && !destination.ref) return destination.uri;
    const ref = destination.ref!;
    if (ref.kind !== "Service")
      throw new ManifestError(
        `cannot resolve a ${ref.kind} reference locally; use a Service or a uri`,
      );
    const url = this.services.get(ref.name)?.front.url;
    if (!url) throw new ManifestError(`Service ${ref.name} is not running`);
    return destination.uri ? new URL(destination.uri, url + "/").toString() : url + "/";
  }

  /** Stops the autoscaler's clock; from now on, a replica that exits is not replaced. */
  halt(): void {
    clearInterval(this.ticker);
    for (const s of this.services.values()) s.runner.halt();
  }

  /** Stops the public Services: no new events come in. */
  async stopPublic(): Promise<void> {
    await Promise.all(this.publicServices().map((s) => s.stop()));
  }

  /** Stops every Service (each replica drains what it holds). */
  async stop(): Promise<void> {
    this.halt();
    await Promise.all(this.all().map((s) => s.stop()));
  }

  /** A SinkBinding whose subject is this Service: a Broker sink means AMQP into its exchange. */
  private sinkEnv(spec: ServiceSpec): Record<string, string> {
    const { manifests, plan } = this.options;
    const binding = manifests.sinkBindings.find(
      (b) =>
        b.subject.kind === "Service" &&
        b.subject.name === spec.name &&
        b.subject.namespace === spec.namespace,
    );
    if (!binding) return {};
    const ref = binding.sink.ref;
    if (ref?.kind === "Broker") {
      const broker = plan.brokers.find(
        (b) => b.broker.name === ref.name && b.broker.namespace === ref.namespace,
      );
      if (!broker)
        throw new ManifestError(
          `${binding.file}: SinkBinding ${binding.name}: sink names Broker ${ref.name}, which no manifest defines`,
        );
      return { BROKER_EXCHANGE: broker.exchange };
    }
    return { K_SINK: this.resolve(binding.sink) };
  }
}

/** Reachable from outside the cluster: any Service not labelled cluster-local. */
export function isPublic(spec: ServiceSpec): boolean {
  return spec.labels["networking.knative.dev/visibility"] !== "cluster-local";
}

/** A Service's replica processes that have not exited (starting, ready or terminating). */
export function runningReplicas(service: LocalService): Replica[] {
  return service.runner.replicas.filter((r) => r.state !== "exited");
}

/** `LEVELER_<SERVICE>_<VAR>` in the platform's environment sets `<VAR>` for that Service alone. */
function serviceOverrides(spec: ServiceSpec, env: Record<string, string>): Record<string, string> {
  const prefix = `LEVELER_${spec.name.toUpperCase().replace(/-/g, "_")}_`;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}
