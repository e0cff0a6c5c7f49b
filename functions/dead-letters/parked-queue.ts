/**
 * The parked dead letters: one durable quorum queue in RabbitMQ, declared by a manifest (the
 * topology operator's Queue), never by this function.
 *
 * Parking is a mandatory, publisher-confirmed publish through the default exchange straight into
 * the queue (lib/amqp-sink.ts): `park` resolves only once RabbitMQ holds the message on a
 * quorum of nodes, and rejects if the queue is gone (RabbitMQ would confirm and drop it).
 *
 * Reading without consuming: AMQP 0-9-1 has no browse, so a listing takes messages with
 * `basic.get` (manual ack), holds them unacknowledged while it looks (so it sees each message
 * once and the scan is bounded), then returns them all with `basic.nack(requeue)`. Nothing is
 * removed; a message is only ever acked by a replay, after its republish was confirmed. RabbitMQ
 * 4.0 to 4.2 count every return against a quorum queue's delivery limit (default 20, then the
 * message is dropped), so the Queue sets `x-delivery-limit` high (see PARKED_QUEUE): listing must
 * not wear dead letters out. A stream would allow true non-destructive reads but cannot remove
 * one replayed message; a consumer with prefetch holds the same unacked messages as `get` does.
 */
import type { Channel, ChannelModel, GetMessage } from "amqplib";
import type { CloudEvent } from "cloudevents";
import { AmqpSink } from "../../lib/amqp-sink.js";
import type { ReconnectingConnection } from "../../lib/amqp-connection.js";
import { fromAmqp } from "../../lib/cloudevent-amqp.js";
import { BrokerUnavailableError } from "../../lib/errors.js";
import { matches, withoutErrorExtensions, type DeadLetterFilter } from "./dead-letter.js";

/**
 * How the parked queue must be declared (rabbitmq-eventing/dead-letters-queue.yaml says the same;
 * a test keeps them equal). The delivery limit only guards against listings counting as failed
 * deliveries on RabbitMQ 4.0-4.2; it is far beyond any real number of listings.
 */
export const PARKED_QUEUE = {
  type: "quorum",
  durable: true,
  arguments: { "x-delivery-limit": 1_000_000 },
} as const;

export interface Scan {
  /** Matching dead letters, oldest first, at most the limit asked for. */
  letters: CloudEvent<unknown>[];
  /** Messages looked at. */
  scanned: number;
  /** Parked messages that were not looked at (the queue holds more than one scan reads). */
  remaining: number;
  /** Messages in the queue that are not CloudEvents (left where they are). */
  undecodable: number;
}

/** A replay that stopped: what was replayed (and removed) before the failure. */
export class ReplayError extends Error {
  override readonly name = "ReplayError";
  constructor(
    readonly replayed: string[],
    override readonly cause: Error,
  ) {
    super(cause.message);
  }
}

export interface DeadLetterStore {
  readonly available: boolean;
  park(events: readonly CloudEvent<unknown>[]): Promise<void>;
  list(filter: DeadLetterFilter, limit: number): Promise<Scan>;
  /** Sends each matching dead letter (without error extensions), removing it once `send` resolved. */
  replay(
    filter: DeadLetterFilter,
    limit: number,
    send: (event: CloudEvent<unknown>) => Promise<void>,
  ): Promise<string[]>;
  close(): Promise<void>;
}

export interface ParkedQueueOptions {
  connection: ReconnectingConnection;
  queue: string;
  /** Most messages one list or replay takes off the queue at once. */
  maxScan: number;
}

/**
 * Whether the parked queue exists, said in one line when it does not. Not a reason to refuse the
 * connection: every park is a mandatory publish, so a missing queue is a 503 per dead letter,
 * and the queue may be declared (by the topology operator) after the sink starts.
 */
export async function checkQueue(
  connection: ChannelModel,
  queue: string,
  log: (line: string) => void,
): Promise<void> {
  const channel = await connection.createChannel();
  channel.on("error", () => undefined);
  try {
    await channel.checkQueue(queue);
  } catch {
    log(
      `queue "${queue}" does not exist: dead letters are refused (503) until it is declared (the Queue in rabbitmq-eventing/dead-letters-queue.yaml)`,
    );
  } finally {
    await channel.close().catch(() => undefined);
  }
}

export class ParkedQueue implements DeadLetterStore {
  private readonly sink: AmqpSink;

  constructor(private readonly options: ParkedQueueOptions) {
    this.sink = new AmqpSink({
      connection: options.connection,
      exchange: "",
      routingKey: options.queue,
      mandatory: true,
    });
  }

  get available(): boolean {
    return this.sink.available;
  }

  park(events: readonly CloudEvent<unknown>[]): Promise<void> {
    return this.sink.send(events);
  }

  async list(filter: DeadLetterFilter, limit: number): Promise<Scan> {
    return this.withHeld(async (next) => {
      const scan: Scan = { letters: [], scanned: 0, remaining: 0, undecodable: 0 };
      while (scan.letters.length < limit) {
        const got = await next();
        if (!got) break;
        scan.scanned++;
        scan.remaining = got.message.fields.messageCount;
        if (!got.event) scan.undecodable++;
        else if (matches(got.event, filter)) scan.letters.push(got.event);
      }
      return scan;
    });
  }

  async replay(
    filter: DeadLetterFilter,
    limit: number,
    send: (event: CloudEvent<unknown>) => Promise<void>,
  ): Promise<string[]> {
    return this.withHeld(async (next, channel) => {
      const replayed: string[] = [];
      while (replayed.length < limit) {
        const got = await next();
        if (!got) break;
        if (!got.event || !matches(got.event, filter)) continue;
        try {
          await send(withoutErrorExtensions(got.event));
        } catch (err) {
          throw new ReplayError(replayed, err as Error);
        }
        // Removed only now that the Broker confirmed the republish. A connection lost before
        // the ack reaches RabbitMQ puts it back: a replay is at least once (consumers dedupe).
        channel.ack(got.message);
        replayed.push(got.event.id);
      }
      return replayed;
    });
  }

  close(): Promise<void> {
    return this.sink.close();
  }

  /**
   * Runs `work` with a reader of the queue whose messages stay unacknowledged until `work` ends,
   * then go back with a nack (requeue), whatever `work` did not ack.
   */
  private async withHeld<T>(
    work: (
      next: () => Promise<{ message: GetMessage; event: CloudEvent<unknown> | undefined } | null>,
      channel: Channel,
    ) => Promise<T>,
  ): Promise<T> {
    const connection = this.options.connection.current;
    if (!connection) throw new BrokerUnavailableError("not connected to RabbitMQ");
    let channel: Channel;
    try {
      channel = await connection.createChannel();
    } catch (err) {
      throw new BrokerUnavailableError(`cannot open a channel: ${(err as Error).message}`);
    }
    channel.on("error", () => undefined);
    let taken = 0;
    const next = async () => {
      if (taken >= this.options.maxScan) return null;
      let message: GetMessage | false;
      try {
        message = await channel.get(this.options.queue, { noAck: false });
      } catch (err) {
        throw new BrokerUnavailableError(
          `reading ${this.options.queue}: ${(err as Error).message}`,
        );
      }
      if (!message) return null;
      taken++;
      let event: CloudEvent<unknown> | undefined;
      try {
        event = fromAmqp(message);
      } catch {
        event = undefined;
      }
      return { message, event };
    };
    try {
      return await work(next, channel);
    } finally {
      try {
        channel.nackAll(true);
      } catch {
        // the channel is gone: RabbitMQ returned its unacked messages already
      }
      await channel.close().catch(() => undefined);
    }
  }
}
