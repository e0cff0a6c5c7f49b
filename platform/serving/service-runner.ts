/**
 * Runs a Knative Service's replicas as processes and keeps the wanted number alive: a replica
 * that exits unasked is replaced (what it held, unacknowledged, is redelivered by the broker).
 */
import { join } from "node:path";
import type { ServiceSpec } from "../manifests.js";
import { freePort } from "../ports.js";
import { Replica } from "./replica.js";

export interface ServiceRunnerOptions {
  spec: ServiceSpec;
  distDir: string;
  logDir: string;
  /** Environment every replica gets (before the manifest's own env). */
  baseEnv: Record<string, string>;
  /** Environment that wins over the manifest's (local overrides). */
  overrideEnv?: Record<string, string>;
  /** Fixed port for replica 0 (the public ingress); others get free ports. */
  fixedPort?: number;
  readinessTimeoutMs: number;
  terminationGraceMs?: number;
  log: (line: string) => void;
}

export class ServiceRunner {
  readonly replicas: Replica[] = [];
  private desired = 0;
  private stopped = false;
  private readonly slotPorts: number[] = [];
  private restarts = 0;

  constructor(private readonly options: ServiceRunnerOptions) {}

  get name(): string {
    return this.options.spec.name;
  }

  get readyReplicas(): Replica[] {
    return this.replicas.filter((r) => r.state === "ready");
  }

  /** The Service's address: its first replica's, which keeps its port across restarts. */
  get url(): string | undefined {
    const port = this.slotPorts[0];
    return port === undefined ? undefined : `http://127.0.0.1:${port}`;
  }

  get restartCount(): number {
    return this.restarts;
  }

  async scaleTo(n: number): Promise<void> {
    this.desired = n;
    const starting: Promise<boolean>[] = [];
    for (let slot = this.replicas.length; slot < n; slot++) starting.push(this.startReplica(slot));
    const results = await Promise.all(starting);
    if (results.includes(false)) throw new Error(`${this.name}: a replica did not become ready within ${this.options.readinessTimeoutMs} ms; see ${this.options.logDir}`);
    const extra = this.replicas.splice(n);
    await Promise.all(extra.map((r) => r.stop(this.options.terminationGraceMs ?? 30_000)));
  }

  /** From now on, a replica that exits is not replaced (the platform is going down). */
  halt(): void {
    this.stopped = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = this.replicas.splice(0);
    await Promise.all(all.map((r) => r.stop(this.options.terminationGraceMs ?? 30_000)));
  }

  private async startReplica(slot: number): Promise<boolean> {
    const { spec } = this.options;
    this.slotPorts[slot] ??= slot === 0 && this.options.fixedPort !== undefined ? this.options.fixedPort : await freePort();
    const replica = new Replica({
      service: spec.name,
      index: slot,
      bundle: join(this.options.distDir, "functions", `${spec.bundle}.js`),
      port: this.slotPorts[slot],
      metricsPort: await freePort(),
      env: {
        ...this.options.baseEnv,
        ...spec.env,
        ...this.options.overrideEnv,
        K_SERVICE: spec.name,
        K_CONFIGURATION: spec.name,
        K_REVISION: `${spec.name}-00001`,
      },
      readinessPath: spec.readinessPath,
      logDir: this.options.logDir,
    });
    this.replicas[slot] = replica;
    void replica.exited.then(() => this.onExit(replica, slot));
    return replica.waitReady(this.options.readinessTimeoutMs);
  }

  private onExit(replica: Replica, slot: number): void {
    if (this.stopped || replica.state !== "exited" || this.replicas[slot] !== replica) return;
    if (slot >= this.desired) return;
    this.restarts++;
    this.options.log(`${this.name} replica ${slot} exited (code ${replica.exitCode}); replacing it`);
    // A short pause keeps a crash loop from spinning the CPU.
    setTimeout(() => {
      if (this.stopped || this.replicas[slot] !== replica) return;
      this.startReplica(slot).catch((err: Error) => this.options.log(`${this.name}: restart failed: ${err.message}`));
    }, Math.min(200 * this.restarts, 5000));
  }
}
