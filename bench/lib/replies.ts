/**
 * Watches the consumers' replies on the Broker's exchange: each `<type>.processed` event names the
 * event it answers (`data.eventId`) and carries its own id, one per execution. A private,
 * exclusive queue bound to the reply types takes them; nothing else in the system sees it.
 */
import amqp, { type ChannelModel } from "amqplib";

export interface ReplyWatch {
  /** RabbitMQ's version, from the connection's server properties. */
  serverVersion: string;
  close(): Promise<void>;
}

export async function watchReplies(
  amqpUrl: string,
  exchange: string,
  types: readonly string[],
  onReply: (eventId: string, replyId: string) => void,
): Promise<ReplyWatch> {
  const connection: ChannelModel = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue("", {
    exclusive: true,
    autoDelete: true,
    arguments: { "x-queue-type": "classic" },
  });
  for (const type of types)
    await channel.bindQueue(queue, exchange, "", { "x-match": "all", type: `${type}.processed` });
  await channel.consume(
    queue,
    (m) => {
      if (!m) return;
      try {
        const { eventId } = JSON.parse(m.content.toString()) as { eventId?: unknown };
        if (typeof eventId === "string") onReply(eventId, String(m.properties.headers?.id ?? ""));
      } catch {
        // not a reply of ours
      }
    },
    { noAck: true },
  );
  const properties = (
    connection.connection as unknown as { serverProperties?: { version?: string } }
  ).serverProperties;
  return {
    serverVersion: properties?.version ?? "unknown",
    close: () => connection.close(),
  };
}
