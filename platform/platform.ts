/**
 * The local platform: Knative Serving and Eventing with eventing-rabbitmq, on one machine. It
 * reads the manifests and starts the parts in order: eventing (RabbitMQ and the topology,
 * broker/eventing.ts), serving (every Service as processes, serving/local-serving.ts), the
 * dispatchers, then the timeline (status/). It stops them in the reverse order of the event's
 * path. It talks to functions only as Knative does: environment, HTTP, signals.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  createDeadLetterApi,
  DeadLetterApiError,
  type DeadLetterApi,
} from "./dead-letters/api-client.js";
import { ensureDeadLettersToken } from "./dead-letters/api-token.js";
import type { DeadLetter, ReplayFilter } from "./dead-letters/dead-letter.js";
import { Eventing, type DispatcherHandle } from "./broker/eventing.js";
import { planTopology, type TopologyPlan } from "./broker/topology.js";
import type { PlatformConfig } from "./config.js";
import { loadManifests, ManifestError, type Manifests, type ServiceSpec } from "./manifests.js";
import { erlangSchedulers } from "./rabbitmq-schedulers.js";
import type { LocalService, ScaleEvent } from "./serving/local-service.js";
import { LocalServing } from "./serving/local-serving.js";
import type { FunctionGauge } from "./status/platform-metrics.js";
import type { PlatformStatus } from "./status/status-document.js";
import { StatusReader } from "./status/status-reader.js";
import { Timeline } from "./status/timeline.js";
import { childEnv } from "./serving/child-env.js";
import { ensureStateDir } from "./state-dir.js";
import { prepareLocalTelemetry } from "./telemetry/local-switch.js";

/** How old a reading `GET /api/status` may report (counts, queue depths), and its sampler ratio. */
const STATUS_MAX_AGE_MS = 200;
const RATIO_MAX_AGE_MS = 1000;

export interface PlatformOptions {
  config: PlatformConfig;
  /** Environment handed to every function and dispatcher (defaults to this process's). */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export class Platform {
  readonly manifests: Manifests;
  readonly plan: TopologyPlan;
  /** The last few minutes (every 250 ms while watched): the dashboard, `GET /api/timeline`, status. */
  readonly timeline: Timeline;
  private readonly eventing: Eventing;
  private readonly serving: LocalServing;
  private readonly reader: StatusReader;
  private readonly log: (line: string) => void;
  /** The dead-letter sink's operator API (the Service the Broker's deadLetterSink names). */
  private deadLetterApi: DeadLetterApi | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: PlatformOptions) {
    const { config } = options;
    this.log = options.log ?? ((line) => console.log(`[leveler] ${line}`));
    this.manifests = loadManifests(config.manifestDirs);
    for (const warning of this.manifests.warnings) this.log(`warning: ${warning}`);
    if (this.manifests.brokers.length === 0)
      throw new ManifestError(`no Broker in ${config.manifestDirs.join(", ")}`);
    this.plan = planTopology(this.manifests, config.instance);
    const largestCpuRequest = largestCpuRequestOf(this.manifests);
    const parts = { manifests: this.manifests, plan: this.plan, largestCpuRequest, log: this.log };
    this.eventing = new Eventing({
      ...parts,
      config,
      rabbitmqSchedulers: erlangSchedulers(this.manifests.rabbitmqClusters),
    });
    // Checks every Service's autoscaling settings: a bad one stops us before anything starts.
    this.serving = new LocalServing({ ...parts, config, env: options.env ?? process.env });
    this.reader = new StatusReader({ ...parts, eventing: this.eventing, serving: this.serving });
    this.timeline = new Timeline((withRatio) => this.reader.timelineReading(withRatio), {
      intervalMs: config.timelineIntervalMs,
    });
  }

  /** RabbitMQ's address: the private node's if the platform had to start one. */
  get amqpUrl(): string {
    return this.eventing.amqpUrl;
  }

  /** What it was started with (state and dist directories: the dashboard needs both). */
  get config(): Readonly<PlatformConfig> {
    return this.options.config;
  }

  get ingressUrl(): string | undefined {
    return this.serving.ingressUrl;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { config } = this.options;
    const logDir = join(ensureStateDir(config.stateDir, this.log), "logs");
    mkdirSync(logDir, { recursive: true });
    await this.eventing.connect();
    const parentEnv = definedEnv(this.options.env ?? process.env);
    const baseEnv = this.childEnv(parentEnv);
    // The dead-letter sink's API token: generated into the state dir once, given to the sink
    // Services as the Secret dead-letters-token gives it on a cluster.
    const sinks = deadLetterSinkServices(this.manifests);
    const token = sinks.length ? ensureDeadLettersToken(config.stateDir) : undefined;
    const sinkEnv = (spec: ServiceSpec): Record<string, string> =>
      token && sinks.includes(spec) ? { DEAD_LETTERS_TOKEN: token } : {};
    // Consumers before dispatchers, so a dispatcher's first delivery finds its subscriber.
    await this.serving.start({ baseEnv, parentEnv, logDir, serviceEnv: sinkEnv });
    const sink = sinks[0];
    if (sink && token)
      this.deadLetterApi = createDeadLetterApi({
        url: () => this.serving.service(sink.name)!.front.url + "/",
        token,
      });
    await this.eventing.startDispatchers({
      baseEnv,
      logDir,
      resolve: (destination) => this.serving.resolve(destination),
    });
    this.timeline.start();
  }

  /** Stops the ingress first (no new events), then dispatchers, then consumers. Safe to call twice. */
  stop(options: { deleteTopology?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      // Ctrl-C reaches every process of the group at once: nothing that exits now is replaced.
      this.timeline.stop();
      this.serving.halt();
      this.eventing.haltDispatchers();
      await this.serving.stopPublic();
      await this.eventing.stopDispatchers();
      await this.serving.stop();
      await this.eventing.disconnect(options);
    })();
    return this.stopping;
  }

  /**
   * Built from the timeline's latest reading when it is fresh enough (while someone watches the
   * timeline it is), else from one taken now and kept as a sample: never a second scrape.
   */
  async status(): Promise<PlatformStatus> {
    const { reading, sampler } = await this.timeline.current(STATUS_MAX_AGE_MS, RATIO_MAX_AGE_MS);
    return this.reader.status(reading, sampler);
  }

  /** What the replica gauges report, synchronously. */
  functionGauges(): FunctionGauge[] {
    return this.reader.functionGauges();
  }

  /** Recent scale decisions, oldest first: each Service's KPA and each scaled dispatcher's. */
  recentScaleEvents(): readonly ScaleEvent[] {
    const dispatchers = this.eventing.recentScaleEvents();
    const serving = this.serving.recentScaleEvents();
    if (dispatchers.length === 0) return serving;
    return [...serving, ...dispatchers].sort((a, b) =>
      a.time < b.time ? -1 : a.time > b.time ? 1 : 0,
    );
  }

  service(name: string): LocalService | undefined {
    return this.serving.service(name);
  }

  dispatcher(trigger: string): DispatcherHandle | undefined {
    return this.eventing.dispatcher(trigger);
  }

  /**
   * Up to `limit` parked dead letters (they stay parked), through the dead-letter sink's API as
   * `leveler dlq list --cluster` reads them on a cluster.
   */
  async deadLetters(limit = 100, filter: ReplayFilter = {}): Promise<DeadLetter[]> {
    return (await this.requireDeadLetterApi().list(limit, filter)).deadLetters;
  }

  /** Republishes matching dead letters to the Broker through the sink's API; returns their ids. */
  async replayDeadLetters(filter: ReplayFilter): Promise<string[]> {
    const replayed = await this.requireDeadLetterApi().replay(filter);
    if (replayed.length) this.log(`replayed ${replayed.length} dead letter(s)`);
    return replayed;
  }

  private requireDeadLetterApi(): DeadLetterApi {
    if (!this.deadLetterApi)
      throw new DeadLetterApiError(
        503,
        "no dead-letter sink: the Broker's delivery names no deadLetterSink Service, so dead letters are kept nowhere",
      );
    return this.deadLetterApi;
  }

  /** The environment every replica and dispatcher starts from. */
  /** What every replica and dispatcher starts from: only what they need of ours (child-env.ts). */
  private childEnv(parentEnv: Record<string, string>): Record<string, string> {
    const env = childEnv(parentEnv, { pass: this.options.config.passEnv });
    env.AMQP_URL = this.eventing.amqpUrl;
    // Only the public front (the ingress's TCP front) is reachable from outside; every replica,
    // dispatcher and metrics endpoint listens on loopback.
    env.HOST = "127.0.0.1";
    // The monitoring switch: every process watches the same file, as every pod mounts the ConfigMap.
    Object.assign(env, prepareLocalTelemetry(this.options.config.stateDir, this.manifests));
    return env;
  }
}

/**
 * The Services named as a deadLetterSink (the Broker's first, then Triggers' own): each is a
 * dead-letter sink with an operator API; `leveler dlq` talks to the first.
 */
export function deadLetterSinkServices(manifests: Manifests): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  for (const delivery of [
    ...manifests.brokers.map((b) => b.delivery),
    ...manifests.triggers.map((t) => t.delivery),
  ]) {
    const ref = delivery?.deadLetterSink?.ref;
    if (ref?.kind !== "Service") continue;
    const spec = manifests.services.find(
      (s) => s.name === ref.name && s.namespace === ref.namespace,
    );
    if (spec && !out.includes(spec)) out.push(spec);
  }
  return out;
}

function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** The largest CPU request of any Service or Trigger: it runs at our own priority, the rest in proportion. */
function largestCpuRequestOf(manifests: Manifests): number {
  return Math.max(
    0,
    ...[...manifests.services, ...manifests.triggers].map((x) => x.cpuRequestMillis ?? 0),
  );
}
