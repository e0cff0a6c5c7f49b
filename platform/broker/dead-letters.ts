/**
 * Dead letters you can act on: read a dead-letter queue without consuming it, and replay chosen
 * events through the Broker's exchange (without the knativeerror* extensions), acking each
 * dead letter only after its replay is confirmed.
 */
import type { ChannelModel, GetMessage } from "amqplib";
import { fromAmqp, toAmqp } from "../../lib/cloudevent-amqp.js";
import { KNATIVE_ERROR_DATA_MAX_LENGTH } from "./error-extensions.js";

export interface DeadLetter {
  queue: string;
  id: string;
  type: string;
  source: string;
  time: string | null;
  errorDestination: string | null;
  errorCode: string | null;
  /** `knativeerrordata`, decoded from base64 when it is text. */
  errorData: string | null;
  data: unknown;
}

export interface ReplayFilter {
  type?: string;
  id?: string;
}

/** Reads up to `limit` dead letters; they stay in the queue (the channel closes without acking). */
export async function listDeadLetters(
  connection: ChannelModel,
  queue: string,
  limit = 1000,
): Promise<DeadLetter[]> {
  const channel = await connection.createChannel();
  channel.on("error", () => undefined);
  const out: DeadLetter[] = [];
  try {
    for (let i = 0; i < limit; i++) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      out.push(describe(queue, message));
    }
  } finally {
    // Closing without acks puts every message back.
    await channel.close().catch(() => undefined);
  }
  return out;
}

export async function replayDeadLetters(
  connection: ChannelModel,
  queue: string,
  exchange: string,
  filter: ReplayFilter,
  limit = 100_000,
): Promise<string[]> {
  const channel = await connection.createConfirmChannel();
  channel.on("error", () => undefined);
  const replayed: string[] = [];
  try {
    for (let i = 0; i < limit; i++) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) break;
      const letter = describe(queue, message);
      if ((filter.type && letter.type !== filter.type) || (filter.id && letter.id !== filter.id))
        continue; // stays unacked → requeued at close
      const event = fromAmqp(message);
      const clean = event.cloneWith(
        { knativeerrordest: undefined, knativeerrorcode: undefined, knativeerrordata: undefined },
        false,
      );
      const { content, properties } = toAmqp(clean);
      await new Promise<void>((resolve, reject) =>
        channel.publish(exchange, "", content, properties, (err: Error | null) =>
          err ? reject(err) : resolve(),
        ),
      );
      channel.ack(message);
      replayed.push(letter.id);
    }
  } finally {
    await channel.close().catch(() => undefined);
  }
  return replayed;
}

function describe(queue: string, message: GetMessage): DeadLetter {
  const h = (message.properties.headers ?? {}) as Record<string, unknown>;
  const text = (v: unknown) =>
    v === undefined || v === null
      ? null
      : Buffer.isBuffer(v)
        ? v.toString("utf8")
        : typeof v === "string"
          ? v
          : JSON.stringify(v);
  const rawData = text(h.knativeerrordata);
  let errorData = rawData;
  if (rawData) {
    let decoded = Buffer.from(rawData, "base64").toString("utf8");
    // Cut to 1024 base64 characters, the body may end inside a character: drop that tail.
    if (rawData.length >= KNATIVE_ERROR_DATA_MAX_LENGTH) decoded = decoded.replace(/\uFFFD+$/, "");
    if (!decoded.includes("\uFFFD")) errorData = decoded;
  }
  let data: unknown = message.content.toString("utf8");
  try {
    data = JSON.parse(data as string);
  } catch {
    // not JSON: keep the text
  }
  return {
    queue,
    id: text(h.id) ?? "",
    type: text(h.type) ?? "",
    source: text(h.source) ?? "",
    time: text(h.time),
    errorDestination: text(h.knativeerrordest),
    errorCode: text(h.knativeerrorcode),
    errorData,
    data,
  };
}
