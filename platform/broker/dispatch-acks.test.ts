import { randomBytes } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import amqp, { type Message } from "amqplib";
import { describe, expect, it } from "vitest";
import { DeliveryAcks, type AckChannel } from "./dispatch-acks.js";

const RABBIT = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

function delivery(tag: number): Message {
  return { fields: { deliveryTag: tag } } as Message;
}

/** Records the frames a channel would send. */
function recorder(): AckChannel & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    ack: (m, allUpTo) => sent.push(`ack ${m.fields.deliveryTag}${allUpTo ? " multiple" : ""}`),
    nack: (m, _all, requeue) =>
      sent.push(`nack ${m.fields.deliveryTag}${requeue ? " requeue" : ""}`),
  };
}

function acksWith(channel: AckChannel, tags: number[], gone = () => false): DeliveryAcks {
  const acks = new DeliveryAcks(channel, gone);
  for (const tag of tags) acks.taken(delivery(tag));
  return acks;
}

describe("a channel's acks, batched", () => {
  it("sends the acks of one turn below every held delivery as one multiple ack", async () => {
    const channel = recorder();
    const acks = acksWith(channel, [1, 2, 3, 4]);
    for (const tag of [3, 1, 2]) acks.ack(delivery(tag));
    expect(channel.sent).toEqual([]); // not before the end of the turn
    await nextTurn();
    expect(channel.sent).toEqual(["ack 3 multiple"]);
  });

  it("acks one by one what lies above a delivery still held", async () => {
    const channel = recorder();
    const acks = acksWith(channel, [1, 2, 3, 4, 5]);
    for (const tag of [1, 2, 4, 5]) acks.ack(delivery(tag));
    await nextTurn();
    expect(channel.sent).toEqual(["ack 2 multiple", "ack 4", "ack 5"]);
  });

  it("never covers a delivery left unacked on purpose, however many turns later", async () => {
    const channel = recorder();
    const acks = acksWith(channel, [1, 2, 3]);
    acks.ack(delivery(2));
    await nextTurn();
    acks.ack(delivery(3));
    await nextTurn();
    expect(channel.sent).toEqual(["ack 2", "ack 3"]);
  });

  it("lets a nacked delivery be passed over: it is no longer held", async () => {
    const channel = recorder();
    const acks = acksWith(channel, [1, 2, 3]);
    acks.nack(delivery(1), true);
    acks.ack(delivery(3));
    acks.ack(delivery(2));
    await nextTurn();
    expect(channel.sent).toEqual(["nack 1 requeue", "ack 3 multiple"]);
  });

  it("sends nothing on a channel that closed (RabbitMQ requeued its deliveries)", async () => {
    const channel = recorder();
    const acks = acksWith(channel, [1, 2], () => true);
    acks.ack(delivery(1));
    acks.ack(delivery(2));
    await nextTurn();
    expect(channel.sent).toEqual([]);
  });

  it("on RabbitMQ, leaves exactly the held delivery unacked", async () => {
    const connection = await amqp.connect(RABBIT);
    const queue = `dispatch-acks-${randomBytes(4).toString("hex")}`;
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue(queue, { exclusive: true });
      for (let i = 1; i <= 5; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
      await channel.prefetch(5);
      const delivered: Message[] = [];
      const all = new Promise<void>((resolve) => {
        void channel.consume(queue, (m) => {
          if (m) delivered.push(m);
          if (delivered.length === 5) resolve();
        });
      });
      await all;
      const acks = new DeliveryAcks(channel, () => false);
      for (const m of delivered) acks.taken(m);
      // The fourth stays held; the others are acked in one turn: 1-3 with one multiple ack.
      for (const m of delivered) if (m.content.toString() !== "4") acks.ack(m);
      await nextTurn();
      // Closing the channel requeues whatever it still held.
      await channel.close();
      const check = await connection.createChannel();
      const left: string[] = [];
      for (let m = await check.get(queue); m; m = await check.get(queue))
        left.push(m.content.toString());
      expect(left).toEqual(["4"]);
    } finally {
      await connection.close();
    }
  });
});
