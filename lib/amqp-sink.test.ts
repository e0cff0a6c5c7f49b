import { createServer, connect, type Server, type Socket } from "node:net";
import amqp from "amqplib";
import { CloudEvent } from "cloudevents";
import { afterEach, describe, expect, it } from "vitest";
import { AmqpSink } from "./amqp-sink.js";
import { BrokerUnavailableError } from "./errors.js";

const RABBIT = new URL(process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672");

/**
 * A TCP proxy to the real RabbitMQ whose broker-to-client direction can be held: while frozen,
 * RabbitMQ still takes every frame the client sends, but nothing it answers (confirms included)
 * reaches the client. That is how a wedged channel looks from the client's side.
 */
async function freezableProxy(): Promise<{
  url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}> {
  let frozen = false;
  const held: { socket: Socket; chunk: Buffer }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(RABBIT.port || 5672), RABBIT.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      if (frozen) held.push({ socket: client, chunk });
      else client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(RABBIT);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    freeze: () => (frozen = true),
    thaw: () => {
      frozen = false;
      for (const { socket, chunk } of held.splice(0)) socket.write(chunk);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const event = (id: string) =>
  new CloudEvent({ id, source: "/amqp-sink-test", type: "test.confirm", data: { id } });

describe("AmqpSink", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  it("fails the publishes of a channel that confirms nothing in time, then goes on over a new channel", async () => {
    const queue = `amqp-sink-confirm-${process.pid}-${Date.now()}`;
    const admin = await amqp.connect(RABBIT.toString());
    cleanup.push(() => admin.close());
    const adminChannel = await admin.createChannel();
    await adminChannel.assertQueue(queue, { durable: false, autoDelete: false });
    cleanup.push(() => adminChannel.deleteQueue(queue));

    const proxy = await freezableProxy();
    cleanup.push(() => proxy.close());
    const lines: string[] = [];
    const sink = new AmqpSink({
      connection: { url: proxy.url, name: "amqp-sink confirm test" },
      exchange: "",
      routingKey: queue,
      confirmTimeoutMs: 300,
      log: (line) => lines.push(line),
    });
    cleanup.push(() => sink.close());
    // The sink connects in the background; the first send waits for nothing else.
    for (let i = 0; !sink.available && i < 100; i++) await new Promise((r) => setTimeout(r, 50));

    await sink.send([event("before")]);
    proxy.freeze();
    const failed = sink.send([event("unconfirmed")]);
    await expect(failed).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(failed).rejects.toThrow(/not confirmed within 300 ms/);
    expect(lines).toEqual([
      "no publisher confirm from RabbitMQ in 300 ms: 1 publish(es) failed, opening a new channel",
    ]);

    proxy.thaw();
    await sink.send([event("after")]);
    // RabbitMQ did take the unconfirmed one: why a send that failed this way may be retried into
    // a duplicate, which consumers answer from their record.
    expect((await adminChannel.checkQueue(queue)).messageCount).toBe(3);
  });
});
