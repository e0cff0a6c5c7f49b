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
}

export class AmqpSink implements Sink {
  private readonly connection: ReconnectingConnection;
  private readonly ownsConnection: boolean;
  private channel: ConfirmChannel | undefined;
  private opening: Promise<ConfirmChannel> | undefined;
  private drained: Promise<unknown> | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** Publish ids RabbitMQ returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  private closed = false;

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
      this.drained = undefined;
    });
  }

  get available(): boolean {
    return !this.closed && this.connection.isConnected;
  }

  async send(events: readonly CloudEvent<unknown>[]): Promise<void> {
    if (this.closed) throw new BrokerUnavailableError("the sink is shutting down");
    const channel = await this.openChannel();
    const confirms: Promise<void>[] = [];
    for (const event of events) {
      try {
        if (this.drained) await this.drained;
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
        try {
          const ok = channel.publish(
            this.options.exchange,
            this.options.routingKey ?? "",
            content,
            { ...properties, mandatory: this.options.mandatory ?? false },
            (err: Error | null) => {
              if (publishId && this.returned.delete(publishId))
                reject(
                  new BrokerUnavailableError(
                    `no queue took the event (exchange "${this.options.exchange}", routing key "${this.options.routingKey ?? ""}")`,
                  ),
                );
              else if (!err) resolve();
              else if (/nack/i.test(err.message))
                reject(new PublishRejectedError("the broker refused the event"));
              else reject(new BrokerUnavailableError(`publish not confirmed: ${err.message}`));
            },
          );
          // The socket buffer is full: keep confirming what is out, but publish no more until it drains.
          if (!ok && !this.drained) {
            this.drained = once(channel, "drain").finally(() => (this.drained = undefined));
          }
        } catch (err) {
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
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
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

  private openChannel(): Promise<ConfirmChannel> {
    if (this.channel) return Promise.resolve(this.channel);
    const connection = this.connection.current;
    if (!connection) return Promise.reject(new BrokerUnavailableError("not connected to RabbitMQ"));
    this.opening ??= this.createChannel(connection).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async createChannel(connection: ChannelModel): Promise<ConfirmChannel> {
    try {
      const channel = await connection.createConfirmChannel();
      channel.on("error", () => undefined); // a channel error (say, exchange gone) closes it; 'close' handles that
      channel.on("return", (message: Message) => {
        const id: unknown = message.properties.headers?.[PUBLISH_ID_HEADER];
        if (typeof id === "string" || Buffer.isBuffer(id)) this.returned.add(String(id));
      });
      channel.once("close", () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
      return channel;
    } catch (err) {
      throw new BrokerUnavailableError(`cannot open a channel: ${(err as Error).message}`);
    }
  }
}
