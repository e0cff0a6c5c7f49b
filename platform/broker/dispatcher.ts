/**
 * A Trigger's dispatcher, as in eventing-rabbitmq: consumes the Trigger's queue with manual acks
 * and `parallelism` deliveries in flight, POSTs each event to the subscriber, and acks only after
 * the outcome is safe: a 2xx (and its reply, if any, confirmed into the broker), or the event
 * confirmed into the dead-letter exchange after the retries ran out. Anything else leaves the
 * message unacked, so a crash or a lost connection means redelivery, never loss.
 *
 * In `dead-letter` mode it drains a dead-letter queue into the dead-letter sink and, unlike
 * eventing-rabbitmq (which acks after its retries), never acks an event the sink did not take.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { CloudEvent } from "cloudevents";
import { AmqpSink } from "../../lib/amqp-sink.js";
import { fromAmqp } from "../../lib/cloudevent-amqp.js";
import type { ReconnectingConnection } from "../../lib/amqp-connection.js";
import type { Telemetry } from "../../lib/runtime/telemetry.js";
import { deliver, type DeliveryResult } from "./deliver.js";
import { DeliveryAcks } from "./dispatch-acks.js";
import { requestFromAmqp, type DispatchRequest } from "./dispatch-request.js";
import { decideOutcome } from "./dispatch-outcome.js";
import type { DispatcherMetrics } from "./dispatch-metrics.js";
import { startDispatchTrace, type DispatchTrace } from "./dispatch-tracing.js";
import { knativeErrorExtensions } from "./error-extensions.js";
import type { RetryPolicy } from "./retry-policy.js";

export interface DispatcherOptions {
  name: string;
  queue: string;
  subscriberUrl: string;
  parallelism: number;
  policy: RetryPolicy;
  mode: "trigger" | "dead-letter";
  /** The Broker's exchange, where replies go. */
  brokerExchange: string;
  /** Where dead letters go (trigger mode). */
  deadLetterExchange: string;
  log?: (line: string) => void;
  /** Consumers to start with (the dispatcher Deployment's replicas); 1 by default. */
  replicas?: number;
  onStats?: (stats: DispatcherStats) => void;
  /** Traces continued from each event's `traceparent`; none when absent. */
  telemetry?: Telemetry;
  metrics?: DispatcherMetrics;
  /**
   * The process's connection, which this dispatcher may share with others (dispatcher-group.ts):
   * its owner starts and stops it and runs `setup` on each new connection.
   */
  connection: ReconnectingConnection;
}

export interface DispatcherStats {
  /** Acked after a 2xx, by event type. */
  processed: Record<string, number>;
  deadLettered: Record<string, number>;
  replies: number;
  retries: number;
  inFlight: number;
  connected: boolean;
  /**
   * Consumers on the queue, each with `parallelism` deliveries in flight at most: the dispatcher
   * Deployment's replicas on a cluster (1 unless a ScaledObject scales it).
   */
  replicas: number;
  /** replicas × parallelism: the most deliveries in flight now. */
  inFlightBound: number;
}

export class Dispatcher {
  private readonly connection: ReconnectingConnection;
  private readonly replySink: AmqpSink;
  private readonly deadLetterSink: AmqpSink;
  private channel: Channel | undefined;
  /** Consumer tags on the current channel, one per replica. */
  private consumerTags: string[] = [];
  private replicas = 1;
  /** Consumer changes, one at a time. */
  private adjusting: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stats: DispatcherStats = {
    processed: {},
    deadLettered: {},
    replies: 0,
    retries: 0,
    inFlight: 0,
    connected: false,
    replicas: 1,
    inFlightBound: 0,
  };
  private readonly log: (line: string) => void;

  constructor(private readonly options: DispatcherOptions) {
    this.log = options.log ?? (() => undefined);
    this.replicas = options.replicas ?? 1;
    this.stats.replicas = this.replicas;
    this.connection = options.connection;
    this.connection.on("disconnected", () => {
      this.channel = undefined;
      this.consumerTags = [];
      this.stats.connected = false;
      this.stats.inFlightBound = 0;
      this.report();
    });
    this.replySink = new AmqpSink({
      connection: this.connection,
      exchange: options.brokerExchange,
      log: (line) => this.log(`replies: ${line}`),
    });
    this.deadLetterSink = new AmqpSink({
      connection: this.connection,
      exchange: options.deadLetterExchange,
      log: (line) => this.log(`dead letters: ${line}`),
    });
  }

  /** Consumes the queue on each new connection; the connection's owner calls it. */
  setup(connection: ChannelModel): Promise<void> {
    return this.consume(connection);
  }

  /** Deliveries taken and not yet settled (RabbitMQ counts them as unacked). */
  get unacked(): number {
    return this.inFlight.size;
  }

  /** Messages ready in the queue, as RabbitMQ counts them; undefined while not connected. */
  async queueDepth(): Promise<number | undefined> {
    const channel = this.channel;
    return channel ? (await channel.checkQueue(this.options.queue)).messageCount : undefined;
  }

  /**
   * Runs `replicas` consumers of `parallelism` deliveries each, as KEDA scales the dispatcher
   * Deployment on a cluster. A consumer let go finishes what it holds (its acks still go through
   * the channel); RabbitMQ sends it nothing more.
   */
  setReplicas(replicas: number): Promise<void> {
    this.replicas = replicas;
    this.stats.replicas = replicas;
    const channel = this.channel;
    if (channel) void this.adjustOn(channel);
    return this.adjusting;
  }

  /** Stops taking deliveries, finishes the ones in flight, then closes. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.adjusting;
    const channel = this.channel;
    if (channel)
      for (const tag of this.consumerTags) await channel.cancel(tag).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    if (channel) acksOf(channel).flush();
    await this.replySink.close();
    await this.deadLetterSink.close();
  }

  private async consume(connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    channel.on("error", (err: Error) => this.log(`channel error: ${err.message}`));
    channel.once("close", () => {
      closedChannels.add(channel);
      // A channel can close while its connection lives on (a channel-level error): consume again.
      if (!this.stopping && this.connection.current === connection) {
        this.stats.connected = false;
        setTimeout(() => {
          if (!this.stopping && this.connection.current === connection) {
            this.consume(connection).catch((err: Error) =>
              this.log(`cannot consume again: ${err.message}`),
            );
          }
        }, 1000);
      }
    });
    // Prefetch = parallelism, where eventing-rabbitmq fixes it at 100 (pkg/rabbit/connections_handler.go,
    // ChannelQoS) and hands deliveries to `parallelism` workers through an in-process buffer. Here
    // every delivery RabbitMQ pushes starts at once, so prefetch is what bounds concurrency; a
    // prefetch of 100 would need that buffer too: messages held in memory, unacked, requeued with
    // the redelivered flag when the dispatcher stops. The visible difference: a cluster shows up to
    // 100 − parallelism more of a Trigger's messages as unacked and fewer as ready.
    // One consumer per replica: RabbitMQ applies a prefetch to the consumers started after it, and
    // quorum queues refuse a channel-wide (global) one, so a consumer's bound is fixed for life.
    await channel.prefetch(this.options.parallelism);
    this.channel = channel;
    this.consumerTags = [];
    // Unlike a later change of replicas, a failure here fails the setup: the connection retries.
    const first = this.adjusting.then(() => this.adjust(channel));
    this.adjusting = first.catch(() => undefined);
    await first;
    this.stats.connected = true;
    this.report();
    this.log(
      `consuming ${this.options.queue} → ${this.options.subscriberUrl} (parallelism ${this.options.parallelism} × ${this.replicas} replica(s))`,
    );
  }

  private adjustOn(channel: Channel): Promise<void> {
    this.adjusting = this.adjusting.then(() =>
      // A channel that fails meanwhile is consumed again from scratch (see `consume`).
      this.adjust(channel).catch((err: Error) => this.log(`cannot scale: ${err.message}`)),
    );
    return this.adjusting;
  }

  /** Starts or cancels consumers on `channel` until there are `replicas`. */
  private async adjust(channel: Channel): Promise<void> {
    while (this.channel === channel && !channelGone(channel) && !this.stopping) {
      if (this.consumerTags.length < this.replicas) {
        const { consumerTag } = await channel.consume(this.options.queue, (message) => {
          if (!message) return; // consumer cancelled by the broker (queue deleted); reconnect logic takes over
          this.take(channel, message);
        });
        this.consumerTags.push(consumerTag);
      } else if (this.consumerTags.length > this.replicas) {
        await channel.cancel(this.consumerTags.pop()!);
      } else break;
    }
    this.stats.inFlightBound = this.consumerTags.length * this.options.parallelism;
    this.report();
  }

  private take(channel: Channel, message: ConsumeMessage): void {
    acksOf(channel).taken(message);
    const work = this.handle(channel, message).catch((err: Error) => {
      // A bug must not take the process down with deliveries in flight; the message stays unacked.
      this.log(`delivery failed unexpectedly: ${err.stack ?? err.message}`);
    });
    this.inFlight.add(work);
    this.stats.inFlight = this.inFlight.size;
    void work.finally(() => {
      this.inFlight.delete(work);
      this.stats.inFlight = this.inFlight.size;
      this.report();
    });
  }

  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const started = performance.now();
    let event: DispatchRequest;
    try {
      event = requestFromAmqp(message);
    } catch (err) {
      // Not a CloudEvent: it can never be delivered, so it goes straight to the dead letters.
      this.log(`undeliverable message: ${(err as Error).message}`);
      await this.settle(channel, message, () =>
        this.publishDeadLetterRaw(message, (err as Error).message),
      );
      return;
    }
    const traced = startDispatchTrace(this.options.telemetry, {
      event,
      queue: this.options.queue,
      trigger: this.options.name,
      headers: message.properties.headers,
      redelivered: message.fields.redelivered,
    });
    let outcome = "abandoned";
    try {
      outcome = await this.dispatch(channel, message, event, traced);
    } finally {
      traced.end(outcome, outcome === "processed" ? undefined : outcome);
      this.options.metrics?.handled(event.type, outcome, (performance.now() - started) / 1000);
    }
  }

  /** Delivers with retries and settles the message as `decideOutcome` says; says how it ended. */
  private async dispatch(
    channel: Channel,
    message: ConsumeMessage,
    event: DispatchRequest,
    traced: DispatchTrace,
  ): Promise<string> {
    const { policy, mode, subscriberUrl } = this.options;
    for (let attempt = 0; ; attempt++) {
      if (channelGone(channel)) return "requeued"; // redelivered on the new channel
      const result = await traced.attempt(attempt, subscriberUrl, (headers) =>
        deliver(subscriberUrl, event, policy.timeoutMs, headers),
      );
      this.options.metrics?.delivered(event.type, result.status);
      const outcome = decideOutcome({
        status: result.status,
        attempt,
        policy,
        mode,
        stopping: this.stopping,
        hasDeadLetterTarget: this.options.deadLetterExchange !== "",
      });
      switch (outcome.kind) {
        case "retry":
          this.stats.retries++;
          this.options.metrics?.retried(event.type);
          await sleep(outcome.afterMs);
          continue;
        case "requeue":
          // Stopping: left unacked, so it is redelivered to the next dispatcher.
          return "requeued";
        case "ack":
          if (result.status !== undefined && (result.status < 200 || result.status >= 300)) {
            // Not worth a retry, so delivered (upstream acks it); the subscriber kept it if it
            // wanted it kept (a consumer hands a refused event to the dead-letter sink first).
            const acked = await this.settle(channel, message, () => Promise.resolve());
            if (acked)
              this.log(`${event.id} (${event.type}) answered ${result.status}: acked as delivered`);
            return acked ? "refused" : "requeued";
          }
          return this.acknowledge(channel, message, event, result.reply, traced);
        case "discard": {
          const acked = await this.settle(channel, message, () => Promise.resolve());
          if (acked) this.log(`dropped ${event.id} (${event.type}): no dead-letter exchange`);
          return acked ? "discarded" : "requeued";
        }
        case "dead-letter":
          return this.deadLetter(channel, message, event, result, attempt, traced);
      }
    }
  }

  /** A 2xx: publishes the reply (if any), then acks. A reply that cannot be published means redelivery. */
  private async acknowledge(
    channel: Channel,
    message: ConsumeMessage,
    event: DispatchRequest,
    reply: CloudEvent<unknown> | undefined,
    traced: DispatchTrace,
  ): Promise<string> {
    const acked = await this.settle(channel, message, async () => {
      if (reply) {
        await traced.publish([reply], (events) => this.replySink.send(events));
        this.stats.replies++;
      }
    });
    // "processed" means answered 2xx and acked.
    if (!acked) return "requeued";
    bump(this.stats.processed, event.type);
    return "processed";
  }

  /** Publishes the event with Knative's error extensions to the dead-letter exchange, then acks. */
  private async deadLetter(
    channel: Channel,
    message: ConsumeMessage,
    event: DispatchRequest,
    result: DeliveryResult,
    attempt: number,
    traced: DispatchTrace,
  ): Promise<string> {
    // The SDK's event only here: `requestFromAmqp` read this message already, so it is one.
    const deadLetter = fromAmqp(message).cloneWith(
      { ...knativeErrorExtensions(this.options.subscriberUrl, result.status, result.errorBody) },
      false,
    );
    const acked = await this.settle(channel, message, async () => {
      await traced.publish([deadLetter], (events) => this.deadLetterSink.send(events));
      bump(this.stats.deadLettered, event.type);
      this.options.metrics?.deadLettered(event.type);
      this.log(
        `dead-lettered ${event.id} (${event.type}) after ${attempt + 1} attempt(s): ${result.status ?? "no answer"} ${result.error ?? ""}`,
      );
    });
    return acked ? "dead-lettered" : "requeued";
  }

  /** Runs `before` (publish a reply or a dead letter), then acks; if `before` fails, requeues. */
  /** Returns whether the message was acked (false: it will be redelivered). */
  private async settle(
    channel: Channel,
    message: ConsumeMessage,
    before: () => Promise<void>,
  ): Promise<boolean> {
    try {
      await before();
    } catch (err) {
      this.log(
        `cannot settle delivery ${message.fields.deliveryTag}: ${(err as Error).message}; it will be redelivered`,
      );
      if (!channelGone(channel)) {
        await sleep(500);
        if (!channelGone(channel)) acksOf(channel).nack(message, true);
      }
      return false;
    }
    if (channelGone(channel)) return false;
    acksOf(channel).ack(message);
    return true;
  }

  private async publishDeadLetterRaw(message: ConsumeMessage, reason: string): Promise<void> {
    const channel = await this.connection.current?.createConfirmChannel();
    if (!channel) throw new Error("not connected");
    try {
      channel.publish(this.options.deadLetterExchange, "", message.content, {
        ...message.properties,
        headers: {
          ...(message.properties.headers ?? {}),
          knativeerrordest: this.options.subscriberUrl,
          knativeerrorcode: -1,
          knativeerrordata: Buffer.from(reason).toString("base64"),
        },
        persistent: true,
      });
      await channel.waitForConfirms();
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private lastReport = 0;
  private reportTimer: NodeJS.Timeout | undefined;
  /** Reports at most every 100 ms, and once more after the last change. */
  private report(): void {
    if (!this.options.onStats) return;
    const now = Date.now();
    if (now - this.lastReport >= 100) {
      this.lastReport = now;
      this.options.onStats(structuredClone(this.stats));
    } else if (!this.reportTimer) {
      this.reportTimer = setTimeout(() => {
        this.reportTimer = undefined;
        this.report();
      }, 100);
    }
  }
}

const closedChannels = new WeakSet<Channel>();
const channelAcks = new WeakMap<Channel, DeliveryAcks>();

/** The channel's acks, which go out batched (dispatch-acks.ts). */
function acksOf(channel: Channel): DeliveryAcks {
  let acks = channelAcks.get(channel);
  if (!acks) {
    acks = new DeliveryAcks(channel, () => channelGone(channel));
    channelAcks.set(channel, acks);
  }
  return acks;
}

/** An ack on a closed channel is meaningless: RabbitMQ has already requeued the message. */
function channelGone(channel: Channel): boolean {
  return closedChannels.has(channel);
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
