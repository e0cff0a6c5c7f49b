/**
 * Runs a Knative Service's replicas as processes and reconciles their number with what the
 * autoscaler wants: starts replicas (each on its own port), adds them to the request path once
 * their readiness probe passes, takes the ones chosen to go out of the path first and then sends
 * them SIGTERM (SIGKILL after the grace period), and replaces a replica that exits unasked (what
 * it held unacknowledged is redelivered by the broker).
 */
import { join } from "node:path";
import type { ServiceSpec } from "../manifests.js";
import { freePort } from "../ports.js";
import type { FrontEndpoint } from "./endpoints.js";
import { Replica } from "./replica.js";

export interface ServiceRunnerOptions {
  spec: ServiceSpec;
  distDir: string;
  logDir: string;
  /** Environment every replica gets (before the manifest's own env). */
  baseEnv: Record<string, string>;
  /** Environment that wins over the manifest's (local overrides). */
  overrideEnv?: Record<string, string>;
  readinessTimeoutMs: number;
  terminationGraceMs: number;
  /** Scheduling priority of every replica, from the Service's CPU request. */
  nice?: number;
  /** The ready replicas changed: the request path must follow. */
  onEndpoints: (endpoints: FrontEndpoint[]) => void;
  /** More environment for each replica, read as it starts (the front's shared port). */
  replicaEnv?: () => Record<string, string>;
  log: (line: string) => void;
}

export class ServiceRunner {
  readonly replicas: Replica[] = [];
  private desiredCount = 0;
  private stopped = false;
  private restarts = 0;
  private nextIndex = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServiceRunnerOptions) {}

  get name(): string {
    return this.options.spec.name;
  }

  get desired(): number {
    return this.desiredCount;
  }

  get readyReplicas(): Replica[] {
    return this.replicas.filter((r) => r.state === "ready");
  }

  /** Replicas that count toward the desired number: starting or ready. */
  get liveReplicas(): Replica[] {
    return this.replicas.filter((r) => r.state === "starting" || r.state === "ready");
  }

  get restartCount(): number {
    return this.restarts;
  }

  /** Sets the wanted number and reconciles; resolves once new replicas are ready (or failed). */
  async scaleTo(n: number): Promise<void> {
    if (this.stopped) return;
    this.desiredCount = n;
    const live = this.liveReplicas;
    const starting: Promise<boolean>[] = [];
    for (let i = live.length; i < n; i++) starting.push(this.startReplica());
    if (live.length > n) {
      // Prefer removing replicas that are not ready yet, then the newest.
      const victims = [...live]
        .sort(
          (a, b) =>
            Number(a.state === "ready") - Number(b.state === "ready") ||
            b.options.index - a.options.index,
        )
        .slice(0, live.length - n);
      for (const v of victims) void this.retire(v);
    }
    await Promise.all(starting);
  }

  /** From now on, a replica that exits is not replaced (the platform is going down). */
  halt(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
  }

  async stop(): Promise<void> {
    this.halt();
    const all = this.replicas.filter((r) => r.state !== "exited");
    this.publish();
    await Promise.all(all.map((r) => r.stop(this.options.terminationGraceMs)));
  }

  private async retire(replica: Replica): Promise<void> {
    replica.state = "terminating";
    this.publish(); // out of the request path before the signal, as Knative does
    await replica.stop(this.options.terminationGraceMs);
  }

  private async startReplica(): Promise<boolean> {
    const { spec } = this.options;
    const index = this.nextIndex++;
    const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
    const replica = new Replica({
      service: spec.name,
      index,
      bundle: join(this.options.distDir, "functions", `${spec.bundle}.js`),
      port,
      metricsPort,
      env: {
        // V8's compiled code for the bundle: a start skips parsing and compiling it (~15 ms of CPU
        // and ~3 MB of RSS less, measured). build.mjs writes it for every function, as the
        // Dockerfile does for a pod's image (compile-cache.ts), so the first replica after a build
        // starts like every later one; Node checks each entry against the bundle's contents.
        NODE_COMPILE_CACHE: join(this.options.distDir, ".node-compile-cache"),
        ...this.options.baseEnv,
        ...spec.env,
        ...this.options.overrideEnv,
        ...this.options.replicaEnv?.(),
        K_SERVICE: spec.name,
        K_CONFIGURATION: spec.name,
        K_REVISION: `${spec.name}-00001`,
      },
      readinessPath: spec.readinessPath,
      logDir: this.options.logDir,
      nice: this.options.nice ?? 0,
    });
    this.replicas.push(replica);
    void replica.exited.then(() => this.onExit(replica));
    const ready = await replica.waitReady(this.options.readinessTimeoutMs);
    if (ready) this.publish();
    else if (replica.state === "starting") {
      this.options.log(
        `${this.name} replica ${index} did not pass its readiness probe within ${this.options.readinessTimeoutMs} ms; replacing it`,
      );
      void replica.stop(1000);
    }
    return ready;
  }

  private onExit(replica: Replica): void {
    const i = this.replicas.indexOf(replica);
    if (i >= 0) this.replicas.splice(i, 1);
    this.publish();
    if (this.stopped) return;
    if (this.liveReplicas.length >= this.desiredCount) return;
    this.restarts++;
    this.options.log(
      `${this.name} replica ${replica.options.index} exited (code ${replica.exitCode}); replacing it`,
    );
    // A short, growing pause keeps a crash loop from spinning the CPU.
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(
      () => {
        if (!this.stopped)
          this.scaleTo(this.desiredCount).catch((err: Error) =>
            this.options.log(`${this.name}: ${err.message}`),
          );
      },
      Math.min(100 * this.restarts, 5000),
    );
  }

  private publish(): void {
    this.options.onEndpoints(
      this.readyReplicas.map((r) => ({
        id: String(r.options.index),
        host: "127.0.0.1",
        port: r.options.port,
        metricsPort: r.options.metricsPort,
      })),
    );
  }
}
