/**
 * One Knative Service, served locally: its replicas (ServiceRunner), its front on a stable
 * address (the activator, or for a public Service without containerConcurrency the TCP front),
 * and its autoscaler (KPA), which also says each tick whether the activator is in the path.
 */
import type { ServiceSpec } from "../manifests.js";
import { Activator } from "./activator.js";
import type { Front } from "./endpoints.js";
import { Kpa, type Decision } from "./kpa.js";
import type { ScalingSpec } from "./scaling-config.js";
import { ServiceRunner, type ServiceRunnerOptions } from "./service-runner.js";
import { TcpFront } from "./tcp-front.js";

export interface ScaleEvent {
  time: string;
  function: string;
  from: number;
  to: number;
  reason: string;
}

export interface LocalServiceOptions {
  spec: ServiceSpec;
  scaling: ScalingSpec;
  /** The public Service listens on this port (at `publicHost`); others on a loopback port. */
  publicPort?: number;
  /** A cluster-local Service's loopback port, chosen ahead (its address is in other Services' env). */
  port?: number;
  /** The public port's address (INGRESS_HOST); loopback by default. */
  publicHost?: string;
  maxWaiting: number;
  runner: Omit<ServiceRunnerOptions, "spec" | "onEndpoints" | "terminationGraceMs">;
  onScale: (event: ScaleEvent) => void;
}

export class LocalService {
  readonly runner: ServiceRunner;
  readonly front: Front & { listen(port?: number, host?: string): Promise<void> };
  private readonly kpa: Kpa;
  lastDecision: Decision | undefined;
  lastScale: ScaleEvent | undefined;
  private listening = false;

  constructor(private readonly options: LocalServiceOptions) {
    const { spec, scaling } = options;
    const holdTimeoutMs = spec.timeoutSeconds * 1000;
    const onDemand = () => this.activate();
    // Replicas can share the Service's port only at the address they listen on (their HOST).
    const sameHost = (options.publicHost ?? "127.0.0.1") === options.runner.baseEnv.HOST;
    const log = options.runner.log;
    // The TCP front cannot count requests against a limit: a public Service with
    // containerConcurrency gets the HTTP activator on its public port instead.
    const front =
      options.publicPort !== undefined && spec.containerConcurrency === 0
        ? new TcpFront({
            service: spec.name,
            maxWaiting: options.maxWaiting,
            holdTimeoutMs,
            onDemand,
            share: sameHost,
            log,
          })
        : new Activator({
            service: spec.name,
            containerConcurrency: spec.containerConcurrency,
            maxWaiting: options.maxWaiting,
            holdTimeoutMs,
            onDemand,
            // Only where the activator leaves the path whenever a replica is ready: otherwise it
            // must stay the address's only listener while Knative keeps it in the path.
            share: sameHost && scaling.targetBurstCapacity === 0,
            log,
          });
    this.front = front;
    this.runner = new ServiceRunner({
      ...options.runner,
      spec,
      terminationGraceMs: spec.timeoutSeconds * 1000,
      onEndpoints: (endpoints) => this.front.setEndpoints(endpoints),
      // A replica on the shared port keeps containerConcurrency itself: nothing stands in front.
      replicaEnv: (): Record<string, string> => {
        const shared = front.sharedPort;
        if (shared === undefined) return {};
        return spec.containerConcurrency > 0
          ? {
              SHARED_PORT: String(shared),
              CONTAINER_CONCURRENCY: String(spec.containerConcurrency),
            }
          : { SHARED_PORT: String(shared) };
      },
    });
    const initial = Math.max(scaling.minScale, scaling.initialScale);
    this.kpa = new Kpa(scaling, Date.now(), initial);
  }

  get name(): string {
    return this.options.spec.name;
  }

  get scaling(): ScalingSpec {
    return this.options.scaling;
  }

  /** Binds the Service's address (its front): from here on `front.url` is where it answers. */
  async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    const { publicPort, publicHost } = this.options;
    if (publicPort !== undefined) await this.front.listen(publicPort, publicHost ?? "127.0.0.1");
    else await this.front.listen(this.options.port);
  }

  /** Listens (if not yet), then starts `max(min-scale, initial-scale)` replicas and waits for them. */
  async start(): Promise<void> {
    await this.listen();
    const initial = Math.max(this.options.scaling.minScale, this.options.scaling.initialScale);
    await this.scale(initial, `initial-scale ${initial}`);
  }

  /** One autoscaler tick. */
  tick(now: number): void {
    this.kpa.record(now, this.front.takeConcurrency());
    const decision = this.kpa.decide(now, this.runner.readyReplicas.length);
    this.lastDecision = decision;
    this.front.setActivatorInPath(decision.activatorInPath);
    if (decision.desired !== this.runner.desired)
      void this.scale(decision.desired, decision.reason);
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.front.close();
  }

  private activate(): void {
    const now = Date.now();
    this.kpa.noteActivation(now, this.front.waiting);
    if (this.runner.desired === 0) {
      const decision = this.kpa.decide(now, 0);
      this.lastDecision = decision;
      void this.scale(Math.max(1, decision.desired), decision.reason);
    }
  }

  private async scale(to: number, reason: string): Promise<void> {
    const from = this.runner.desired;
    if (to !== from) {
      const event: ScaleEvent = {
        time: new Date().toISOString(),
        function: this.name,
        from,
        to,
        reason,
      };
      this.lastScale = event;
      this.options.onScale(event);
    }
    await this.runner.scaleTo(to);
  }
}
