/**
 * The local platform: Knative Serving and Eventing with eventing-rabbitmq, on one machine.
 * It reads the manifests, makes sure RabbitMQ answers, declares the Brokers' and Triggers'
 * resources, runs every Service as processes and every Trigger's dispatcher, and reports it all
 * at /api/status. It talks to functions only as Knative does: environment, HTTP, signals.
 */
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import amqp, { type Channel } from "amqplib";
import { ReconnectingConnection, redact } from "../lib/amqp-connection.js";
import { BrokerUnavailableError } from "../lib/errors.js";
import {
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type ReplayFilter,
} from "./broker/dead-letters.js";
import { DispatcherRunner } from "./broker/dispatcher-runner.js";
import {
  declareTopology,
  deleteTopology,
  planTopology,
  type TopologyPlan,
} from "./broker/topology.js";
import type { PlatformConfig } from "./config.js";
import {
  loadManifests,
  ManifestError,
  type DeliverySpec,
  type Destination,
  type Manifests,
  type ServiceSpec,
} from "./manifests.js";
import { parseCounter, scrapeText } from "./metrics-scrape.js";
import { freePort } from "./ports.js";
import { ensureBroker, type EnsuredBroker } from "./rabbitmq.js";
import { childEnv } from "./serving/child-env.js";
import { ensureStateDir } from "./state-dir.js";
import { prepareLocalTelemetry } from "./telemetry/local-switch.js";
import { samplerStatus, type SamplerStatus } from "./telemetry/sampler-status.js";
import { Timeline, type TimelineReading } from "./timeline.js";
import { niceFor } from "./serving/cpu-weight.js";
import { LocalService, type ScaleEvent } from "./serving/local-service.js";
import {
  readAutoscalerDefaults,
  scalingSpecFor,
  type ScalingSpec,
} from "./serving/scaling-config.js";

export interface PlatformOptions {
  config: PlatformConfig;
  /** Environment handed to every function and dispatcher (defaults to this process's). */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

interface TriggerRuntime {
  plan: TopologyPlan["triggers"][number];
  subscriberUrl: string;
  dispatcher: DispatcherRunner;
  metricsUrl: string;
}

export class Platform {
  readonly manifests: Manifests;
  readonly plan: TopologyPlan;
  private broker: EnsuredBroker | undefined;
  private connection: ReconnectingConnection | undefined;
  private channel: Channel | undefined;
  private readonly services = new Map<string, LocalService>();
  private readonly scaling = new Map<string, ScalingSpec>();
  private readonly scaleEvents: ScaleEvent[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private readonly triggers: TriggerRuntime[] = [];
  private readonly deadLetterDispatchers: {
    queue: string;
    sink: string;
    dispatcher: DispatcherRunner;
  }[] = [];
  private readonly acceptedByReplica = new Map<string, Record<string, number>>();
  private readonly refusedByReplica = new Map<string, number>();
  /** The last few minutes, sampled every 250 ms: for the dashboard and `GET /api/timeline`. */
  readonly timeline: Timeline;
  private readonly log: (line: string) => void;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: PlatformOptions) {
    this.log = options.log ?? ((line) => console.log(`[leveler] ${line}`));
    this.manifests = loadManifests(options.config.manifestDirs);
    for (const warning of this.manifests.warnings) this.log(`warning: ${warning}`);
    if (this.manifests.brokers.length === 0)
      throw new ManifestError(`no Broker in ${options.config.manifestDirs.join(", ")}`);
    this.plan = planTopology(this.manifests, options.config.instance);
    // Refuse bad autoscaling settings before anything starts, naming the Service and annotation.
    const defaults = readAutoscalerDefaults(
      this.manifests.configMaps.get("config-autoscaler"),
      options.env ?? process.env,
    );
    for (const spec of this.manifests.services)
      this.scaling.set(spec.name, scalingSpecFor(spec, defaults));
    this.timeline = new Timeline((withRatio) => this.timelineReading(withRatio), {
      intervalMs: options.config.timelineIntervalMs,
    });
  }

  get amqpUrl(): string {
    return this.broker?.url ?? this.options.config.amqpUrl;
  }

  /** What it was started with (state and dist directories: the dashboard needs both). */
  get config(): Readonly<PlatformConfig> {
    return this.options.config;
  }

  get ingressUrl(): string | undefined {
    const publicService = this.manifests.services.find((s) => isPublic(s));
    return publicService ? this.services.get(publicService.name)?.front.url : undefined;
  }

  service(name: string): LocalService | undefined {
    return this.services.get(name);
  }

  /** Up to `limit` dead letters across every dead-letter queue (they stay in their queues). */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const connection = this.connection?.current;
    if (!connection) throw new BrokerUnavailableError("not connected to RabbitMQ");
    const out: DeadLetter[] = [];
    for (const queue of this.deadLetterQueueNames())
      if (out.length < limit)
        out.push(...(await listDeadLetters(connection, queue, limit - out.length)));
    return out;
  }

  /** Republishes matching dead letters into their Broker's exchange; returns their ids. */
  async replayDeadLetters(filter: ReplayFilter): Promise<string[]> {
    const connection = this.connection?.current;
    if (!connection) throw new BrokerUnavailableError("not connected to RabbitMQ");
    const replayed: string[] = [];
    for (const queue of this.deadLetterQueueNames()) {
      const exchange =
        this.plan.triggers.find((t) => t.deadLetterQueue === queue)?.exchange ??
        this.plan.brokers.find((b) => b.deadLetterQueue === queue)!.exchange;
      replayed.push(...(await replayDeadLetters(connection, queue, exchange, filter)));
    }
    if (replayed.length) this.log(`replayed ${replayed.length} dead letter(s)`);
    return replayed;
  }

  /** The largest CPU request of any Service or Trigger: it runs at our own priority, the rest in proportion. */
  private largestCpuRequest(): number {
    return Math.max(
      0,
      ...[...this.manifests.services, ...this.manifests.triggers].map(
        (x) => x.cpuRequestMillis ?? 0,
      ),
    );
  }

  private deadLetterQueueNames(): string[] {
    return [
      ...new Set([
        ...this.plan.brokers.map((b) => b.deadLetterQueue),
        ...this.plan.triggers.map((t) => t.deadLetterQueue),
      ]),
    ];
  }

  /** What the replica gauges report, synchronously. */
  functionGauges(): {
    name: string;
    replicas: number;
    ready: number;
    desired: number;
    inFlight: number;
  }[] {
    return [...this.services.values()].map((s) => ({
      name: s.name,
      replicas: s.runner.replicas.filter((r) => r.state !== "exited").length,
      ready: s.runner.readyReplicas.length,
      desired: s.runner.desired,
      inFlight: s.front.inFlight,
    }));
  }

  /** Recent scale decisions, oldest first. */
  recentScaleEvents(): readonly ScaleEvent[] {
    return this.scaleEvents;
  }

  dispatcher(trigger: string): DispatcherRunner | undefined {
    return this.triggers.find((t) => t.plan.trigger.name === trigger)?.dispatcher;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { config } = this.options;
    const logDir = join(ensureStateDir(config.stateDir, this.log), "logs");
    mkdirSync(logDir, { recursive: true });

    this.broker = await ensureBroker(config.amqpUrl, {
      stateDir: config.stateDir,
      mayStartPrivate: config.amqpUrlIsDefault,
      log: this.log,
    });
    // Declare once up front, so a topology error stops the start with its own message.
    const first = await amqp.connect(this.broker.url);
    try {
      await declareTopology(first, this.plan);
    } finally {
      await first.close().catch(() => undefined);
    }
    this.connection = new ReconnectingConnection({
      url: this.broker.url,
      name: "leveler platform",
      log: this.log,
      setup: async (connection) => {
        // A broker restarted from scratch has lost everything: declare again (idempotent).
        await declareTopology(connection, this.plan).catch((err: Error) =>
          this.log(`re-declaring the topology: ${err.message}`),
        );
        const channel = await connection.createChannel();
        channel.on("error", () => undefined);
        this.channel = channel;
        channel.once("close", () => {
          if (this.channel === channel) this.channel = undefined;
        });
      },
    });
    await this.connection.start();
    await this.connection.ready(30_000);
    this.log(
      `RabbitMQ at ${redact(this.broker.url)}; ${this.plan.brokers.length} broker(s), ${this.plan.triggers.length} trigger(s) declared`,
    );

    const parentEnv = definedEnv(this.options.env ?? process.env);
    const baseEnv = childEnv(parentEnv, { pass: config.passEnv });
    baseEnv.AMQP_URL = this.broker.url;
    // Only the public front (the ingress's TCP front) is reachable from outside; every replica,
    // dispatcher and metrics endpoint listens on loopback.
    baseEnv.HOST = "127.0.0.1";
    // The monitoring switch: every process watches the same file, as every pod mounts the ConfigMap.
    Object.assign(baseEnv, prepareLocalTelemetry(config.stateDir, this.manifests));

    // Consumers first, so the dispatchers find them; the public ingress last.
    const ordered = [...this.manifests.services].sort(
      (a, b) => Number(isPublic(a)) - Number(isPublic(b)),
    );
    let publicPortTaken = false;
    for (const spec of ordered) {
      const publicPort = isPublic(spec) && !publicPortTaken ? config.ingressPort : undefined;
      if (publicPort !== undefined) publicPortTaken = true;
      const service = new LocalService({
        spec,
        scaling: this.scaling.get(spec.name)!,
        maxWaiting: config.activatorMaxWaiting,
        ...(publicPort !== undefined ? { publicPort } : {}),
        runner: {
          distDir: config.distDir,
          logDir,
          baseEnv: { ...baseEnv, ...this.sinkEnv(spec) },
          overrideEnv: serviceOverrides(spec, parentEnv),
          readinessTimeoutMs: config.readinessTimeoutMs,
          nice: niceFor(spec.cpuRequestMillis, this.largestCpuRequest()),
          log: this.log,
        },
        onScale: (event) => {
          this.scaleEvents.push(event);
          if (this.scaleEvents.length > 500) this.scaleEvents.shift();
          if (config.logScaleEvents)
            this.log(`scale ${event.function}: ${event.from} → ${event.to} (${event.reason})`);
        },
      });
      this.services.set(spec.name, service);
      await service.start();
      this.log(
        `${spec.name}: ${service.runner.readyReplicas.length} replica(s) ready behind ${service.front.url}`,
      );
    }
    // The autoscaler's clock: one KPA decision per Service per tick.
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const service of this.services.values()) service.tick(now);
    }, config.autoscalerTickMs);

    const dispatcherScript = join(config.distDir, "platform", "dispatcher-main.js");
    for (const plan of this.plan.triggers) {
      const delivery = { ...plan.broker.delivery, ...plan.trigger.delivery };
      const subscriberUrl = this.resolve(plan.trigger.subscriber);
      const metricsPort = await freePort();
      const dispatcher = new DispatcherRunner({
        name: plan.trigger.name,
        script: dispatcherScript,
        logDir,
        log: this.log,
        nice: niceFor(plan.trigger.cpuRequestMillis, this.largestCpuRequest()),
        env: {
          ...baseEnv,
          DISPATCHER_NAME: plan.trigger.name,
          METRICS_PORT: String(metricsPort),
          QUEUE_NAME: plan.queue,
          SUBSCRIBER: subscriberUrl,
          PARALLELISM: String(plan.trigger.parallelism),
          BROKER_EXCHANGE: plan.exchange,
          DLX_NAME: plan.deadLetterExchange,
          // eventing-rabbitmq: a delivery spec without retry means 5; no delivery spec at all means none.
          RETRY: String(delivery.retry ?? (plan.broker.delivery || plan.trigger.delivery ? 5 : 0)),
          BACKOFF_POLICY: delivery.backoffPolicy ?? "exponential",
          BACKOFF_DELAY_MS: String(delivery.backoffDelayMs ?? 50),
          TIMEOUT_MS: String(delivery.timeoutMs ?? 30_000),
        },
      });
      dispatcher.start();
      this.triggers.push({
        plan,
        subscriberUrl,
        dispatcher,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      });
    }
    // Dead-letter queues with a sink get a dispatcher that never acks what the sink did not take.
    const sinks = new Map<
      string,
      { destination: Destination; exchange: string; policy: DeliverySpec | undefined }
    >();
    for (const b of this.plan.brokers) {
      if (b.broker.delivery?.deadLetterSink)
        sinks.set(b.deadLetterQueue, {
          destination: b.broker.delivery.deadLetterSink,
          exchange: b.exchange,
          policy: b.broker.delivery,
        });
    }
    for (const t of this.plan.triggers) {
      if (t.trigger.delivery?.deadLetterSink)
        sinks.set(t.deadLetterQueue, {
          destination: t.trigger.delivery.deadLetterSink,
          exchange: t.exchange,
          policy: t.trigger.delivery,
        });
    }
    for (const [queue, sink] of sinks) {
      const url = this.resolve(sink.destination);
      const dispatcher = new DispatcherRunner({
        name: `dlq-${queue}`,
        script: dispatcherScript,
        logDir,
        log: this.log,
        env: {
          ...baseEnv,
          DISPATCHER_NAME: `dlq-${queue}`,
          DISPATCH_MODE: "dead-letter",
          QUEUE_NAME: queue,
          SUBSCRIBER: url,
          PARALLELISM: "1",
          BROKER_EXCHANGE: sink.exchange,
          BACKOFF_POLICY: sink.policy?.backoffPolicy ?? "exponential",
          BACKOFF_DELAY_MS: String(sink.policy?.backoffDelayMs ?? 1000),
          TIMEOUT_MS: String(sink.policy?.timeoutMs ?? 30_000),
        },
      });
      dispatcher.start();
      this.deadLetterDispatchers.push({ queue, sink: url, dispatcher });
    }
    this.timeline.start();
  }

  /** Stops the ingress first (no new events), then dispatchers, then consumers. Safe to call twice. */
  stop(options: { deleteTopology?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      // Ctrl-C reaches every process of the group at once: nothing that exits now is replaced.
      clearInterval(this.ticker);
      this.timeline.stop();
      for (const s of this.services.values()) s.runner.halt();
      for (const t of this.triggers) t.dispatcher.halt();
      for (const d of this.deadLetterDispatchers) d.dispatcher.halt();
      const publicNames = this.manifests.services.filter(isPublic).map((s) => s.name);
      await Promise.all(publicNames.map((n) => this.services.get(n)?.stop() ?? Promise.resolve()));
      await Promise.all([
        ...this.triggers.map((t) => t.dispatcher.stop()),
        ...this.deadLetterDispatchers.map((d) => d.dispatcher.stop()),
      ]);
      await Promise.all([...this.services.values()].map((s) => s.stop()));
      if (options.deleteTopology && this.channel)
        await deleteTopology(this.channel, this.plan).catch((err: Error) =>
          this.log(`cleanup: ${err.message}`),
        );
      await this.connection?.stop();
      await this.broker?.stop();
    })();
    return this.stopping;
  }

  async status(): Promise<PlatformStatus> {
    await this.scrapeIngress();
    const accepted = sum([...this.acceptedByReplica.values()]);
    const processed = sum(this.triggers.map((t) => t.dispatcher.totals().processed));
    const deadLettered = sum(this.triggers.map((t) => t.dispatcher.totals().deadLettered));
    const types = new Set([
      ...Object.keys(accepted),
      ...Object.keys(processed),
      ...Object.keys(deadLettered),
    ]);
    const byType: Record<string, { accepted: number; processed: number; deadLettered: number }> =
      {};
    for (const type of [...types].sort())
      byType[type] = {
        accepted: accepted[type] ?? 0,
        processed: processed[type] ?? 0,
        deadLettered: deadLettered[type] ?? 0,
      };
    const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

    return {
      broker: {
        url: redact(this.amqpUrl),
        connected: this.connection?.isConnected ?? false,
        privateNode: this.broker?.privateNode ?? null,
      },
      brokers: this.plan.brokers.map((b) => ({
        name: b.broker.name,
        namespace: b.broker.namespace,
        exchange: b.exchange,
        deadLetterQueue: b.deadLetterQueue,
      })),
      telemetry: await samplerStatus(this.metricsUrls()),
      events: {
        accepted: total(accepted),
        processed: total(processed),
        deadLettered: total(deadLettered),
        byType,
      },
      triggers: await Promise.all(
        this.triggers.map(async (t) => {
          const totals = t.dispatcher.totals();
          return {
            name: t.plan.trigger.name,
            broker: t.plan.trigger.broker,
            filter: t.plan.trigger.filter,
            subscriber: t.subscriberUrl,
            queue: t.plan.queue,
            queueDepth: await this.queueDepth(t.plan.queue),
            parallelism: t.plan.trigger.parallelism,
            dispatcher: {
              metricsUrl: t.metricsUrl,
              pid: totals.pid ?? null,
              connected: totals.connected,
              inFlight: totals.inFlight,
              retries: totals.retries,
              replies: totals.replies,
              restarts: totals.restarts,
            },
          };
        }),
      ),
      deadLetterQueues: await Promise.all(
        [...new Set(this.plan.triggers.map((t) => t.deadLetterQueue))].map(async (queue) => ({
          queue,
          depth: await this.queueDepth(queue),
          sink: this.deadLetterDispatchers.find((d) => d.queue === queue)?.sink ?? null,
        })),
      ),
      functions: [...this.services.values()].map((s) => ({
        name: s.name,
        url: s.front.url,
        replicas: s.runner.replicas.filter((r) => r.state !== "exited").length,
        ready: s.runner.readyReplicas.length,
        desired: s.runner.desired,
        inFlight: s.front.inFlight,
        waiting: s.front.waiting,
        panic: s.lastDecision?.panic ?? false,
        lastScale: s.lastScale ?? null,
        scaling: {
          minScale: s.scaling.minScale,
          maxScale: s.scaling.maxScale,
          targetPerReplica: s.scaling.targetPerReplica,
          containerConcurrency: s.scaling.containerConcurrency,
        },
        restarts: s.runner.restartCount,
        processes: s.runner.replicas.map((r) => ({
          pid: r.process.pid ?? null,
          state: r.state,
          url: r.url,
          metricsUrl: r.metricsUrl,
        })),
      })),
    };
  }

  private async queueDepth(queue: string): Promise<number | null> {
    const channel = this.channel;
    if (!channel) return null;
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return null;
    }
  }

  /** Reads every ingress replica's accepted and refused counters (kept per replica, so counts survive its exit). */
  private async scrapeIngress(): Promise<void> {
    const publicServices = this.manifests.services.filter(isPublic);
    await Promise.all(
      publicServices.flatMap((spec) =>
        (this.services.get(spec.name)?.runner.replicas ?? [])
          .filter((r) => r.state !== "exited")
          .map(async (r) => {
            const text = await scrapeText(r.metricsUrl);
            if (text === undefined) return;
            const key = `${spec.name}/${r.process.pid}`;
            this.acceptedByReplica.set(
              key,
              parseCounter(text, "leveler_ingress_events_accepted_total", "cloudevents_event_type"),
            );
            this.refusedByReplica.set(
              key,
              Object.values(
                parseCounter(text, "leveler_ingress_events_rejected_total", "reason"),
              ).reduce((a, b) => a + b, 0),
            );
          }),
      ),
    );
  }

  private async timelineReading(withRatio: boolean): Promise<TimelineReading> {
    await this.scrapeIngress();
    const processed: Record<string, number> = {};
    for (const spec of this.manifests.services) if (!isPublic(spec)) processed[spec.name] = 0;
    let deadLettered = 0;
    for (const t of this.triggers) {
      const totals = t.dispatcher.totals();
      const subscriber =
        t.plan.trigger.subscriber.ref?.kind === "Service"
          ? t.plan.trigger.subscriber.ref.name
          : t.plan.trigger.name;
      processed[subscriber] =
        (processed[subscriber] ?? 0) + Object.values(totals.processed).reduce((a, b) => a + b, 0);
      deadLettered += Object.values(totals.deadLettered).reduce((a, b) => a + b, 0);
    }
    const queues: Record<string, number | null> = {};
    for (const t of this.triggers)
      queues[t.plan.trigger.name] = await this.queueDepth(t.plan.queue);
    const dlq = await Promise.all(this.deadLetterQueueNames().map((q) => this.queueDepth(q)));
    const replicas: Record<string, number> = {};
    for (const [name, s] of this.services)
      replicas[name] = s.runner.replicas.filter((r) => r.state !== "exited").length;
    return {
      accepted: Object.values(sum([...this.acceptedByReplica.values()])).reduce((a, b) => a + b, 0),
      refused: [...this.refusedByReplica.values()].reduce((a, b) => a + b, 0),
      processed,
      deadLettered,
      queues,
      replicas,
      deadLetters: dlq.includes(null) ? null : (dlq as number[]).reduce((a, b) => a + b, 0),
      ...(withRatio
        ? { samplerRatio: (await samplerStatus(this.metricsUrls())).samplerRatio }
        : {}),
      brokerConnected: this.connection?.isConnected ?? false,
    };
  }

  private metricsUrls(): string[] {
    return [
      ...[...this.services.values()].flatMap((s) =>
        s.runner.replicas.filter((r) => r.state === "ready").map((r) => r.metricsUrl),
      ),
      ...this.triggers.map((t) => t.metricsUrl),
    ];
  }

  /** A Destination as the URL a dispatcher posts to. */
  private resolve(destination: Destination): string {
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

  /** A SinkBinding whose subject is this Service: a Broker sink means AMQP into its exchange. */
  private sinkEnv(spec: ServiceSpec): Record<string, string> {
    const binding = this.manifests.sinkBindings.find(
      (b) =>
        b.subject.kind === "Service" &&
        b.subject.name === spec.name &&
        b.subject.namespace === spec.namespace,
    );
    if (!binding) return {};
    const ref = binding.sink.ref;
    if (ref?.kind === "Broker") {
      const broker = this.plan.brokers.find(
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

export interface PlatformStatus {
  broker: { url: string; connected: boolean; privateNode: string | null };
  /** Each Broker's exchange in RabbitMQ, for tools that watch it (benchmarks, taps). */
  brokers: { name: string; namespace: string; exchange: string; deadLetterQueue: string }[];
  telemetry: SamplerStatus;
  events: {
    accepted: number;
    processed: number;
    deadLettered: number;
    byType: Record<string, { accepted: number; processed: number; deadLettered: number }>;
  };
  triggers: {
    name: string;
    broker: string;
    filter: Record<string, string>;
    subscriber: string;
    queue: string;
    queueDepth: number | null;
    parallelism: number;
    dispatcher: Record<string, unknown>;
  }[];
  deadLetterQueues: { queue: string; depth: number | null; sink: string | null }[];
  functions: {
    name: string;
    url: string;
    replicas: number;
    ready: number;
    desired: number;
    inFlight: number;
    waiting: number;
    panic: boolean;
    lastScale: ScaleEvent | null;
    scaling: {
      minScale: number;
      maxScale: number;
      targetPerReplica: number;
      containerConcurrency: number;
    };
    restarts: number;
    processes: { pid: number | null; state: string; url: string; metricsUrl: string }[];
  }[];
}

export function isPublic(spec: ServiceSpec): boolean {
  return spec.labels["networking.knative.dev/visibility"] !== "cluster-local";
}

/** `LEVELER_<SERVICE>_<VAR>` in the platform's environment sets `<VAR>` for that Service alone. */
function serviceOverrides(spec: ServiceSpec, env: Record<string, string>): Record<string, string> {
  const prefix = `LEVELER_${spec.name.toUpperCase().replace(/-/g, "_")}_`;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}

function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function sum(records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}
