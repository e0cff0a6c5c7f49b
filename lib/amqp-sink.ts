/**
 * Publishes events into a Broker's exchange with publisher confirms. Publishes are pipelined:
 * every event goes out at once and each waits for its own confirm, so throughput is bound by the
 * broker's fsync batching, not by one round trip per event (the old system's ~1,300/s ceiling).
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { ChannelModel, ConfirmChannel, Message } from "amqplib";
import type { CloudEvent } from "cloudevents";
import { toAmqp } from "./cloudevent-amqp.js";
import { BrokerUnavailableError, PublishRejectedError, throwFirstFailure } from "./errors.js";
import { ReconnectingConnection } from "./amqp-connection.js";
import type { Sink } from "./sink.js";

/**
 * When a traced event was published, in ms since the epoch (the AMQP `timestamp` property has
 * whole seconds): the dispatcher's time in queue. `x-` headers are neither attributes nor
 * matched by bindings. Only traced events carry it, so the switch at 0 adds no bytes.
 */
export const PUBLISHED_MS_HEADER = "x-leveler-published-ms";

/**
 * Tags a mandatory publish so its `basic.return` can be matched to its confirm (a return carries
 * no delivery tag). RabbitMQ sends the return before the confirm of the same message, so the
 * confirm callback already knows whether the message reached a queue.
 */
export const PUBLISH_ID_HEADER = "x-leveler-publish-id";

/**
 * How long a channel may hold unconfirmed publishes without a single confirm arriving before the
 * sink gives up on it. RabbitMQ confirms a message once every queue it was routed to has it; a
 * channel that stays quiet that long while the connection lives is wedged (a broker that stopped
 * answering on it, a network that lost one direction), and without a bound every send on it
 * would wait for ever, holding a client's request or a dispatcher's delivery. Not seen here; a
 * bound, as RabbitMQ's own confirms tutorial puts on each wait (a timeout around `WaitContext`).
 */
export const CONFIRM_TIMEOUT_MS = 10_000;

export interface AmqpSinkOptions {
  /** A connection to share, or a URL to open one of our own. */
  connection: ReconnectingConnection | { url: string; name: string; log?: (line: string) => void };
  exchange: string;
  /** Routing key; "" for a headers exchange. With exchange "" it names the queue itself. */
  routingKey?: string;
  /**
   * Publish as mandatory: a message no queue takes is returned, and `send` rejects with
   * BrokerUnavailableError instead of resolving on the confirm (RabbitMQ confirms an unroutable
   * message too, then drops it). For a publish into one named queue, where "no queue" means lost.
   */
  mandatory?: boolean;
  /** See CONFIRM_TIMEOUT_MS. */
  confirmTimeoutMs?: number;
  /** One line when a wedged channel is given up. */
  log?: (line: string) => void;
}

/**
 * A confirm channel and the publishes it has not confirmed yet. A watchdog (one timer per
 * channel, not one per publish) fails them all when no confirm arrived for `confirmTimeoutMs`.
 */
interface Confirming {
  channel: ConfirmChannel;
  /** Rejections of the publishes not confirmed yet. */
  unconfirmed: Set<(err: Error) => void>;
  /** When the last confirm arrived, or the first of the current unconfirmed publishes went out. */
  progressAt: number;
  watchdog: NodeJS.Timeout;
  /** While the socket buffer is full: until it drains. Rejects if the channel is left first. */
  drained: Promise<unknown> | undefined;
  /** Aborted when the channel closes or is given up, so nothing waits on it for ever. */
  left: AbortController;
  /** Takes no new publishes; closes once the ones it has are confirmed. */
  retired: boolean;
}

/** At most one channel retired for refused publishes per this long (see `refused`). */
const RETIRE_AFTER_REFUSAL_MS = 1_000;

export class AmqpSink implements Sink {
  private readonly connection: ReconnectingConnection;
  private readonly ownsConnection: boolean;
  private channel: Confirming | undefined;
  private opening: Promise<Confirming> | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** Publish ids RabbitMQ returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  private closed = false;
  /** When a channel was last retired after a refusal, and when that was last logged. */
  private retiredAt = 0;
  private refusalLoggedAt = 0;

  constructor(private readonly options: AmqpSinkOptions) {
    if (options.connection instanceof ReconnectingConnection) {
      this.connection = options.connection;
      this.ownsConnection = false;
    } else {
      this.connection = new ReconnectingConnection(options.connection);
      this.ownsConnection = true;
      void this.connection.start();
    }
    this.connection.on("disconnected", () => {
      this.channel = undefined;
    });
  }

  get available(): boolean {
    return !this.closed && this.connection.isConnected;
  }

  async send(events: readonly CloudEvent<unknown>[]): Promise<void> {
    if (this.closed) throw new BrokerUnavailableError("the sink is shutting down");
    const confirming = await this.openChannel();
    const { channel, unconfirmed } = confirming;
    const confirms: Promise<void>[] = [];
    for (const event of events) {
      try {
        if (confirming.drained) await confirming.drained;
      } catch (err) {
        // The channel failed while we waited: this event was not published (earlier ones may be).
        confirms.push(
          this.track(
            Promise.reject(new BrokerUnavailableError(`publish failed: ${(err as Error).message}`)),
          ),
        );
        continue;
      }
      const { content, properties } = toAmqp(event);
      if (event.traceparent !== undefined)
        properties.headers[PUBLISHED_MS_HEADER] = String(Date.now());
      const publishId = this.options.mandatory ? randomUUID() : undefined;
      if (publishId) properties.headers[PUBLISH_ID_HEADER] = publishId;
      const confirmed = new Promise<void>((resolve, reject) => {
        if (unconfirmed.size === 0) confirming.progressAt = Date.now();
        unconfirmed.add(reject);
        try {
          const ok = channel.publish(
            this.options.exchange,
            this.options.routingKey ?? "",
            content,
            { ...properties, mandatory: this.options.mandatory ?? false },
            (err: Error | null) => {
              unconfirmed.delete(reject);
              confirming.progressAt = Date.now();
              if (confirming.retired && unconfirmed.size === 0)
                confirming.channel.close().catch(() => undefined);
              if (publishId && this.returned.delete(publishId))
                reject(
                  new BrokerUnavailableError(
                    `no queue took the event (exchange "${this.options.exchange}", routing key "${this.options.routingKey ?? ""}")`,
                  ),
                );
              else if (!err) resolve();
              else if (/nack/i.test(err.message)) {
                this.refused(confirming);
                reject(new PublishRejectedError("the broker refused the event"));
              } else reject(new BrokerUnavailableError(`publish not confirmed: ${err.message}`));
            },
          );
          // The socket buffer is full: keep confirming what is out, but publish no more until it drains.
          if (!ok && !confirming.drained) {
            confirming.drained = once(channel, "drain", { signal: confirming.left.signal }).finally(
              () => (confirming.drained = undefined),
            );
            confirming.drained.catch(() => undefined);
          }
        } catch (err) {
          unconfirmed.delete(reject);
          reject(new BrokerUnavailableError(`publish failed: ${(err as Error).message}`));
        }
      });
      confirms.push(this.track(confirmed));
    }
    throwFirstFailure(events, await Promise.allSettled(confirms));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    const confirming = this.channel;
    this.channel = undefined;
    if (confirming) {
      clearInterval(confirming.watchdog);
      await confirming.channel.close().catch(() => undefined);
    }
    if (this.ownsConnection) await this.connection.stop();
  }

  private track(p: Promise<void>): Promise<void> {
    this.pending.add(p);
    void p.then(
      () => this.pending.delete(p),
      () => this.pending.delete(p),
    );
    return p;
  }

  private openChannel(): Promise<Confirming> {
    if (this.channel) return Promise.resolve(this.channel);
    const connection = this.connection.current ?? this.connection.settingUp;
    if (!connection) return Promise.reject(new BrokerUnavailableError("not connected to RabbitMQ"));
    this.opening ??= this.createChannel(connection).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async createChannel(connection: ChannelModel): Promise<Confirming> {
    let channel: ConfirmChannel;
    try {
      channel = await connection.createConfirmChannel();
    } catch (err) {
      throw new BrokerUnavailableError(`cannot open a channel: ${(err as Error).message}`);
    }
    const timeoutMs = this.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS;
    const confirming: Confirming = {
      channel,
      unconfirmed: new Set(),
      progressAt: Date.now(),
      drained: undefined,
      left: new AbortController(),
      retired: false,
      watchdog: setInterval(
        () => {
          if (confirming.unconfirmed.size > 0 && Date.now() - confirming.progressAt >= timeoutMs)
            this.giveUp(confirming, timeoutMs);
        },
        Math.max(10, Math.min(1_000, timeoutMs / 4)),
      ).unref(),
    };
    channel.on("error", () => undefined); // a channel error (say, exchange gone) closes it; 'close' handles that
    channel.on("return", (message: Message) => {
      const id: unknown = message.properties.headers?.[PUBLISH_ID_HEADER];
      if (typeof id === "string" || Buffer.isBuffer(id)) this.returned.add(String(id));
    });
    channel.once("close", () => {
      clearInterval(confirming.watchdog);
      confirming.left.abort(new Error("channel closed"));
      if (this.channel === confirming) this.channel = undefined;
    });
    this.channel = confirming;
    return confirming;
  }

  /**
   * RabbitMQ refused a publish (a nack). Usually a queue at its bound (`overflow: reject-publish`),
   * which the next channel meets too; but a channel can also be left refusing everything: on
   * RabbitMQ 3.10, a channel that publishes to a quorum queue while the queue elects a new leader
   * (its old one lost with its node) has every later publish to that queue nacked, for as long as
   * it lives, while channels that start publishing a moment later are confirmed (the fault suite's
   * "not refused for good" scenario shows both). A dispatcher that lost the same node reconnects
   * in that window. So later publishes go to a new channel, at most once a second, and this one
   * closes when what it carries is settled.
   */
  private refused(confirming: Confirming): void {
    const now = Date.now();
    if (confirming.retired || now - this.retiredAt < RETIRE_AFTER_REFUSAL_MS) return;
    this.retiredAt = now;
    confirming.retired = true;
    if (this.channel === confirming) this.channel = undefined;
    if (confirming.unconfirmed.size === 0) confirming.channel.close().catch(() => undefined);
    if (now - this.refusalLoggedAt >= 10_000) {
      this.refusalLoggedAt = now;
      this.options.log?.("RabbitMQ refused a publish: later publishes go over a new channel");
    }
  }

  /**
   * No confirm for `timeoutMs`: fails every publish still waiting (the caller answers 503, or
   * leaves the message to be redelivered; RabbitMQ may yet have taken some, so a retry can make a
   * duplicate, which consumers answer from their record) and leaves the channel for a new one. A
   * confirm that arrives later settles nothing: each promise settles once.
   */
  private giveUp(confirming: Confirming, timeoutMs: number): void {
    const waiting = [...confirming.unconfirmed];
    confirming.unconfirmed.clear();
    clearInterval(confirming.watchdog);
    confirming.left.abort(new Error("channel given up"));
    if (this.channel === confirming) this.channel = undefined;
    this.options.log?.(
      `no publisher confirm from RabbitMQ in ${timeoutMs} ms: ${waiting.length} publish(es) failed, opening a new channel`,
    );
    const err = new BrokerUnavailableError(`publish not confirmed within ${timeoutMs} ms`);
    for (const reject of waiting) reject(err);
    // The broker may never answer the close either: do not wait for it.
    confirming.channel.close().catch(() => undefined);
  }
}
