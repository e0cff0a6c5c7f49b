import { createServer, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ReconnectingConnection } from "./amqp-connection.js";

const RABBIT = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/** A loopback port nothing listens on: a node that is gone. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("ReconnectingConnection over a node list", () => {
  let connection: ReconnectingConnection | undefined;
  afterEach(() => connection?.stop());

  it("passes over a node that does not answer to the next one in the list", async () => {
    const lines: string[] = [];
    const gone = `amqp://guest:guest@127.0.0.1:${await deadPort()}`;
    connection = new ReconnectingConnection({
      url: `${gone},${RABBIT}`,
      name: "failover test",
      firstNode: 0,
      minDelayMs: 10,
      log: (line) => lines.push(line),
    });
    await connection.start();
    await connection.ready(10_000);
    expect(connection.nodeUrl).toBe(RABBIT);
    expect(lines.join("\n")).toMatch(
      /reconnected to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1/,
    );
  });
});

describe("ReconnectingConnection while it sets up", () => {
  let connection: ReconnectingConnection | undefined;
  afterEach(() => connection?.stop());

  it("offers the connection being set up (for the work setup starts) before announcing it", async () => {
    const seen: { settingUp: unknown; current: unknown; given: unknown }[] = [];
    connection = new ReconnectingConnection({
      url: RABBIT,
      name: "setup test",
      setup: (c) => {
        seen.push({ settingUp: connection!.settingUp, current: connection!.current, given: c });
        return Promise.resolve();
      },
    });
    await connection.start();
    const ready = await connection.ready(10_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.settingUp).toBe(seen[0]!.given);
    expect(seen[0]!.current).toBeUndefined();
    expect(connection.current).toBe(ready);
    expect(connection.settingUp).toBeUndefined();
  });
});

describe("ReconnectingConnection's socket", () => {
  let connection: ReconnectingConnection | undefined;
  afterEach(() => connection?.stop());

  it("sends the frames of one turn in one writev, and every message arrives", async () => {
    connection = new ReconnectingConnection({ url: RABBIT, name: "coalesce test" });
    await connection.start();
    const model = await connection.ready(10_000);
    // Where amqplib keeps its socket (lib/connection.js); batchFrames relies on it too.
    const socket = (model.connection as unknown as { stream: Socket }).stream;
    expect(socket).toBeInstanceOf(Socket);
    const channel = await model.createConfirmChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    const batches: number[] = [];
    const s = socket as unknown as { _writev: (c: unknown[], cb: unknown) => void };
    const writev = s._writev.bind(socket);
    s._writev = (chunks, cb) => {
      batches.push(chunks.length);
      writev(chunks, cb);
    };
    for (let i = 0; i < 20; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
    await channel.waitForConfirms();
    // amqplib's muxer writes each publish (method, header and body in one chunk) separately.
    expect(Math.max(...batches)).toBe(20);
    expect((await channel.checkQueue(queue)).messageCount).toBe(20);
  });
});
