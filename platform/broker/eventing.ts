/**
 * Local Knative Eventing with eventing-rabbitmq: makes sure RabbitMQ answers, declares the
 * Brokers' and Triggers' exchanges and queues (and again after a broker restart), runs a
 * dispatcher per Trigger and per dead-letter queue (each has a sink, or it would not exist), as
 * eventing-rabbitmq runs them; Triggers' dispatchers share processes (`startDispatchers`).
 */
import { join } from "node:path";
import type { Channel } from "amqplib";
import { connectAny, ReconnectingConnection, redact } from "../../lib/amqp-connection.js";
import type { PlatformConfig } from "../config.js";
import type { DeliverySpec, Destination } from "../manifests.js";
import { freePort } from "../ports.js";
import { ScaleEventLog } from "../scale-event-log.js";
import { ensureBroker, type EnsuredBroker } from "../rabbitmq.js";
import { niceFor } from "../serving/cpu-weight.js";
import {
  deadLetterDispatcherConfig,
  dispatcherEnv,
  dispatcherGroupEnv,
  triggerDispatcherConfig,
  type DeadLetterDispatcherPlan,
  type DispatcherConfig,
} from "./dispatcher-env.js";
import type { DispatcherScaleEvent } from "./backlog-autoscaler.js";
import {
  DispatcherRunner,
  type DispatcherRunnerOptions,
  type DispatcherTotals,
} from "./dispatcher-runner.js";
import { pruneRemovedTriggers } from "./removed-triggers.js";
import {
  declareTopology,
  deleteTopology,
  ownsDeadLetters,
  type TopologyPlan,
  type TriggerPlan,
} from "./topology.js";

export interface EventingOptions {
  plan: TopologyPlan;
  config: Pick<
    PlatformConfig,
    | "amqpUrl"
    | "amqpUrlIsDefault"
    | "rabbitmqNodes"
    | "stateDir"
    | "distDir"
    | "instance"
    | "logScaleEvents"
    | "hpaSyncPeriodMs"
  >;
  /** The largest CPU request of any Service or Trigger (serving/cpu-weight.ts). */
  largestCpuRequest: number;
  /** Erlang schedulers of a private RabbitMQ node the platform starts (rabbitmq-schedulers.ts). */
  rabbitmqSchedulers?: number | undefined;
  log: (line: string) => void;
}

/** One dispatcher of a process that may run several: its counters over the process's restarts. */
export interface DispatcherHandle {
  totals(): DispatcherTotals;
  /** The process it runs in (shared with the other Triggers of its group). */
  readonly runner: DispatcherRunner;
}

/** A running Trigger dispatcher and where it reports. */
export interface TriggerDispatcher {
  plan: TriggerPlan;
  subscriberUrl: string;
  dispatcher: DispatcherHandle;
}

/** A running dead-letter dispatcher: drains `queue` into `sink`. */
export interface DeadLetterDispatcher {
  queue: string;
  sink: string;
  dispatcher: DispatcherRunner;
}

export interface DispatcherStartOptions {
  /** Environment every dispatcher inherits; its own contract (dispatcher-env.ts) is laid on top. */
  baseEnv: Record<string, string>;
  logDir: string;
  /** A Destination (subscriber, dead-letter sink) as the URL a dispatcher posts to. */
  resolve: (destination: Destination) => string;
}

export class Eventing {
  private broker: EnsuredBroker | undefined;
  private connection: ReconnectingConnection | undefined;
  private channel: Channel | undefined;
  private readonly triggerDispatchers: TriggerDispatcher[] = [];
  private readonly scaleEvents: ScaleEventLog<DispatcherScaleEvent>;
  private readonly deadLetterRunners: DeadLetterDispatcher[] = [];

  constructor(private readonly options: EventingOptions) {
    this.scaleEvents = new ScaleEventLog(options.config.logScaleEvents ? options.log : undefined);
  }

  get amqpUrl(): string {
    return this.broker?.url ?? this.options.config.amqpUrl;
  }

  get isConnected(): boolean {
    return this.connection?.isConnected ?? false;
  }

  /** The RabbitMQ node the platform started itself, if it had to (rabbitmq.ts). */
  get privateNode(): string | null {
    return this.broker?.privateNode ?? null;
  }

  get triggers(): readonly TriggerDispatcher[] {
    return this.triggerDispatchers;
  }

  get deadLetterDispatchers(): readonly DeadLetterDispatcher[] {
    return this.deadLetterRunners;
  }

  /** Finds or starts RabbitMQ, declares the topology, and keeps a connection for reads. */
  async connect(): Promise<void> {
    const { config, plan, log } = this.options;
    this.broker = await ensureBroker(config.amqpUrl, {
      stateDir: config.stateDir,
      mayStartPrivate: config.amqpUrlIsDefault,
      nodes: config.rabbitmqNodes,
      schedulers: this.options.rabbitmqSchedulers,
      log,
    });
    // Declare once up front, so a topology error stops the start with its own message.
    const first = await connectAny(this.broker.url);
    try {
      await declareTopology(first, plan);
      // A Trigger gone from the manifests loses its queue and binding, as deleting it does on a cluster.
      const recordFile = join(config.stateDir, "topology", `${config.instance}.json`);
      await pruneRemovedTriggers(first, plan, { recordFile, log });
    } finally {
      await first.close().catch(() => undefined);
    }
    this.connection = new ReconnectingConnection({
      url: this.broker.url,
      name: "leveler platform",
      log,
      setup: async (connection) => {
        // A broker restarted from scratch has lost everything: declare again (idempotent).
        await declareTopology(connection, plan).catch((err: Error) =>
          log(`re-declaring the topology: ${err.message}`),
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
    log(
      `RabbitMQ at ${redact(this.broker.url)}; ${plan.brokers.length} broker(s), ${plan.triggers.length} trigger(s) declared`,
    );
  }

  /**
   * The Trigger dispatchers, one process for all Triggers of the same scheduling priority (their
   * cpu-request annotation; serving/cpu-weight.ts), each with its own channel, consumers and
   * retries on the process's one connection (dispatcher-group.ts): a process per Trigger cost
   * more CPU per event (knative/README.md, "Dispatcher processes"). Then one per dead-letter
   * queue with a sink.
   */
  async startDispatchers({ baseEnv, logDir, resolve }: DispatcherStartOptions): Promise<void> {
    const { config, plan, log, largestCpuRequest } = this.options;
    const script = join(config.distDir, "platform", "dispatcher-main.js");
    const groups = new Map<
      number | undefined,
      { trigger: TriggerPlan; config: DispatcherConfig; subscriberUrl: string }[]
    >();
    for (const trigger of plan.triggers) {
      const subscriberUrl = resolve(trigger.trigger.subscriber);
      const nice = niceFor(trigger.trigger.cpuRequestMillis, largestCpuRequest);
      const group = groups.get(nice) ?? [];
      group.push({
        trigger,
        subscriberUrl,
        config: triggerDispatcherConfig(
          trigger,
          subscriberUrl,
          this.amqpUrl,
          config.hpaSyncPeriodMs,
        ),
      });
      groups.set(nice, group);
    }
    // A Trigger group's process serves metrics on a port of its own (the sampler ratio and the
    // per-Trigger series are read there); a dead-letter dispatcher's endpoint stays off.
    const startRunner = async (
      name: string,
      env: Record<string, string>,
      more: Pick<DispatcherRunnerOptions, "members" | "nice" | "onScale"> & {
        metrics?: boolean;
      } = {},
    ): Promise<DispatcherRunner> => {
      const { metrics, ...options } = more;
      const metricsPort = metrics ? await freePort() : undefined;
      const runner = new DispatcherRunner({
        name,
        script,
        logDir,
        log,
        metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
        env: { ...baseEnv, ...(metricsPort ? { METRICS_PORT: String(metricsPort) } : {}), ...env },
        ...options,
      });
      runner.start();
      return runner;
    };
    for (const [nice, members] of groups) {
      const names = members.map((m) => m.trigger.trigger.name);
      const runner = await startRunner(
        names.join("+"),
        members.length === 1
          ? dispatcherEnv(members[0]!.config)
          : dispatcherGroupEnv(members.map((m) => m.config)),
        {
          metrics: true,
          members: names,
          nice,
          onScale: (event) => this.scaleEvents.add(event),
        },
      );
      for (const { trigger, subscriberUrl } of members) {
        const name = trigger.trigger.name;
        this.triggerDispatchers.push({
          plan: trigger,
          subscriberUrl,
          dispatcher: { runner, totals: () => runner.totals(name) },
        });
      }
    }
    // Dead-letter queues with a sink get a dispatcher that never acks what the sink did not take.
    for (const sink of deadLetterSinks(plan)) {
      const url = resolve(sink.destination);
      const config = deadLetterDispatcherConfig(sink, url, this.amqpUrl);
      const dispatcher = await startRunner(config.name, dispatcherEnv(config));
      this.deadLetterRunners.push({ queue: sink.queue, sink: url, dispatcher });
    }
  }

  /** Recent changes of dispatcher replicas, oldest first. */
  recentScaleEvents(): readonly DispatcherScaleEvent[] {
    return this.scaleEvents.recent();
  }

  dispatcher(trigger: string): DispatcherHandle | undefined {
    return this.triggerDispatchers.find((t) => t.plan.trigger.name === trigger)?.dispatcher;
  }

  /** Each Trigger dispatcher process once. */
  triggerRunners(): DispatcherRunner[] {
    return [...new Set(this.triggerDispatchers.map((t) => t.dispatcher.runner))];
  }

  /** Messages ready in a queue; null when the broker cannot say (disconnected, no such queue). */
  async queueDepth(queue: string): Promise<number | null> {
    const channel = this.channel;
    if (!channel) return null;
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return null;
    }
  }

  /** Every dead-letter queue that exists: each Broker's with a sink, and each Trigger's own. */
  deadLetterQueueNames(): string[] {
    return deadLetterSinks(this.options.plan).map((s) => s.queue);
  }

  /** From now on, a dispatcher that exits is not restarted. */
  haltDispatchers(): void {
    for (const r of this.triggerRunners()) r.halt();
    for (const d of this.deadLetterRunners) d.dispatcher.halt();
  }

  /** Stops every dispatcher; each finishes its deliveries in flight. */
  async stopDispatchers(): Promise<void> {
    await Promise.all([
      ...this.triggerRunners().map((r) => r.stop()),
      ...this.deadLetterRunners.map((d) => d.dispatcher.stop()),
    ]);
  }

  /** Closes the connection (deleting the topology first if asked) and any RabbitMQ node it started. */
  async disconnect(options: { deleteTopology?: boolean } = {}): Promise<void> {
    if (options.deleteTopology && this.channel)
      await deleteTopology(this.channel, this.options.plan).catch((err: Error) =>
        this.options.log(`cleanup: ${err.message}`),
      );
    await this.connection?.stop();
    await this.broker?.stop();
  }
}

/**
 * The dead-letter queues, each with the delivery spec naming its sink: a Broker's when it names
 * a deadLetterSink, a Trigger's when its own delivery does (none exist otherwise).
 */
export function deadLetterSinks(
  plan: TopologyPlan,
): (DeadLetterDispatcherPlan & { destination: Destination })[] {
  const sinks = new Map<string, DeadLetterDispatcherPlan & { destination: Destination }>();
  const add = (queue: string, exchange: string, delivery: DeliverySpec | undefined) => {
    if (delivery?.deadLetterSink)
      sinks.set(queue, { queue, exchange, delivery, destination: delivery.deadLetterSink });
  };
  for (const b of plan.brokers)
    if (b.hasDeadLetterSink) add(b.deadLetterQueue, b.exchange, b.broker.delivery);
  for (const t of plan.triggers)
    if (ownsDeadLetters(t)) add(t.deadLetterQueue!, t.exchange, t.trigger.delivery);
  return [...sinks.values()];
}
