/**
 * Catches `<type>.processed` replies for `leveler send --wait`: an exclusive, server-named queue
 * bound to the Broker's exchange with `type=<type>.processed` (the binding a Trigger with that
 * filter gets), gone when the connection closes. Replies carry the event's id in `data.eventId`.
 * The exchange comes from the running platform's /api/status; the AMQP URL from AMQP_URL, or the
 * private node's credentials in the state directory.
 */
import type { Channel, ChannelModel } from "amqplib";
import { connectAny } from "../../lib/amqp-connection.js";
import type { PlatformConfig } from "../config.js";
import { readPrivateCredentials, withCredentials } from "../rabbitmq.js";
import type { PlatformStatus } from "../status/status-document.js";

export class ReplyWatch {
  private readonly waiting = new Map<string, (reply: unknown) => void>();
  private readonly early = new Map<string, unknown>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async open(config: PlatformConfig, type: string): Promise<ReplyWatch> {
    const statusUrl = `http://${config.statusHost}:${config.statusPort}/api/status`;
    let status: PlatformStatus;
    try {
      const response = await fetch(statusUrl, { signal: AbortSignal.timeout(5000) });
      status = (await response.json()) as PlatformStatus;
    } catch {
      throw new Error(`nothing answers at ${statusUrl}; is \`npm start\` running?`);
    }
    const exchange = status.brokers[0]?.exchange;
    if (!exchange) throw new Error("the platform runs no Broker");
    const credentials = status.broker.privateNode
      ? readPrivateCredentials(config.stateDir)
      : undefined;
    const url = credentials ? withCredentials(status.broker.url, credentials) : config.amqpUrl;
    const connection = await connectAny(url);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, "", { "x-match": "all", type: `${type}.processed` });
    const watch = new ReplyWatch(connection, channel);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        let reply: { eventId?: unknown };
        try {
          reply = JSON.parse(message.content.toString("utf8")) as { eventId?: unknown };
        } catch {
          return;
        }
        const id = String(reply.eventId);
        const resolve = watch.waiting.get(id);
        if (resolve) resolve(reply);
        else watch.early.set(id, reply);
      },
      { noAck: true },
    );
    return watch;
  }

  /** The reply's data for event `id`; rejects after `timeoutMs`. */
  reply(id: string, timeoutMs: number): Promise<unknown> {
    if (this.early.has(id)) return Promise.resolve(this.early.get(id));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no reply for ${id}`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      });
    });
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
