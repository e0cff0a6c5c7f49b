/**
 * The dead-letter sink as a real process against the real RabbitMQ: it parks what it is sent
 * (publisher-confirmed) before answering 202, lists without consuming, replays into a real
 * Broker exchange and unparks only then, and answers 503 + Retry-After whenever RabbitMQ did not
 * keep the dead letter (queue at its bound: a nack; queue gone: an unroutable publish, which
 * RabbitMQ would otherwise confirm and drop). The parked queue is declared here, as the Queue
 * manifest declares it on a cluster.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import { CloudEvent, HTTP } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARKED_QUEUE } from "../functions/dead-letters/parked-queue.js";
import { freePort } from "../platform/ports.js";

const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const TOKEN = randomBytes(16).toString("hex");

interface Sink {
  url: string;
  child: ChildProcess;
  output: string[];
}

async function startSink(queue: string, exchange: string): Promise<Sink> {
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "..", "dist", "functions", "dead-letters.js")],
    {
      env: {
        ...process.env,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        HOST: "127.0.0.1",
        AMQP_URL,
        DEAD_LETTER_QUEUE: queue,
        BROKER_EXCHANGE: exchange,
        K_SINK: "",
        DEAD_LETTERS_TOKEN: TOKEN,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.on("data", (b: Buffer) => output.push(b.toString()));
  child.stderr.on("data", (b: Buffer) => output.push(b.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; ;) {
    const ready = await fetch(`${url}/health/readiness`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline)
      throw new Error(`the dead-letter sink did not become ready: ${output.join("")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, output };
}

const failed = (id: string, type = "com.example.order.created") =>
  new CloudEvent<unknown>(
    {
      id,
      source: "/test",
      type,
      datacontenttype: "application/json",
      data: { orderId: id },
      knativeerrordest: "http://order.leveler.svc.cluster.local",
      knativeerrorcode: "400",
      knativeerrordata: Buffer.from("poison: data.items is required").toString("base64"),
    },
    false,
  );

const deliver = (sink: Sink, event: CloudEvent<unknown>) => {
  const m = HTTP.binary(event);
  return fetch(`${sink.url}/`, {
    method: "POST",
    headers: m.headers as Record<string, string>,
    body: m.body as string,
  });
};
const auth = { authorization: `Bearer ${TOKEN}` };

describe("dead-letter sink (real process, real RabbitMQ)", () => {
  const suffix = randomBytes(4).toString("hex");
  const queue = `test.dead-letters.${suffix}`;
  const exchange = `test.broker.${suffix}`;
  const tap = `test.replayed.${suffix}`;
  let connection: ChannelModel;
  let channel: Channel;
  let sink: Sink;

  beforeAll(async () => {
    connection = await amqp.connect(AMQP_URL);
    channel = await connection.createChannel();
    await channel.assertQueue(queue, {
      durable: PARKED_QUEUE.durable,
      arguments: { "x-queue-type": PARKED_QUEUE.type, ...PARKED_QUEUE.arguments },
    });
    // The Broker: a headers exchange with one Trigger-like queue that takes everything.
    await channel.assertExchange(exchange, "headers", { durable: false, autoDelete: false });
    await channel.assertQueue(tap, { durable: false, exclusive: true });
    await channel.bindQueue(tap, exchange, "", { "x-match": "all" });
    sink = await startSink(queue, exchange);
  });

  afterAll(async () => {
    sink?.child.kill("SIGTERM");
    await channel?.deleteQueue(queue).catch(() => undefined);
    await channel?.deleteExchange(exchange).catch(() => undefined);
    await connection?.close().catch(() => undefined);
  });

  const depth = async () => (await channel.checkQueue(queue)).messageCount;
  /**
   * The depth once RabbitMQ has applied what a listing or replay sent back. A quorum queue's
   * ready count (what a passive declare answers) is read from counters its Raft state machine
   * updates as it applies commands (rabbit_quorum_queue.erl, rabbit_fifo's metrics table), and the
   * `nack(requeue)` returns are pipelined commands applied after their log write, which may be a
   * moment after the listing's channel has closed and the API has answered. A later `get` is
   * ordered after them in the same log, so the next listing sees them all; only this count lags.
   * Waiting for `expected` still fails when a listing consumed: the count then never comes back.
   */
  const settledDepth = async (expected: number) => {
    let seen = await depth();
    for (const deadline = Date.now() + 5_000; seen !== expected && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = await depth();
    }
    return seen;
  };

  it("parks, lists without consuming, and replays into the Broker's exchange", async () => {
    for (const id of ["a", "b", "c"]) expect((await deliver(sink, failed(id))).status).toBe(202);
    // 202 came after the confirm: the messages are in the queue now, not eventually.
    expect(await depth()).toBe(3);

    const list = async (query = "") => {
      const r = await fetch(`${sink.url}/dead-letters${query}`, { headers: auth });
      expect(r.status).toBe(200);
      return (await r.json()) as {
        deadLetters: {
          id: string;
          errorCode: string;
          errorDestination: string;
          errorData: string;
          data: unknown;
        }[];
        scanned: number;
      };
    };
    const all = await list();
    expect(all.deadLetters.map((d) => d.id)).toEqual(["a", "b", "c"]);
    expect(all.deadLetters[0]).toMatchObject({
      errorCode: "400",
      errorDestination: "http://order.leveler.svc.cluster.local",
      errorData: "poison: data.items is required",
      data: { orderId: "a" },
    });
    // Listing again finds the same: nothing was consumed.
    expect((await list("?id=b")).deadLetters.map((d) => d.id)).toEqual(["b"]);
    expect((await list()).deadLetters).toHaveLength(3);
    expect(await settledDepth(3)).toBe(3);
    expect((await fetch(`${sink.url}/dead-letters`)).status).toBe(401);

    const replayed: ConsumeMessage[] = [];
    await channel.consume(tap, (m) => m && replayed.push(m), { noAck: true });
    const r = await fetch(`${sink.url}/dead-letters/replay?id=b`, {
      method: "POST",
      headers: auth,
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ replayed: ["b"] });
    // Published with a confirm before the answer; give the tap's consumer its delivery.
    for (const deadline = Date.now() + 5_000; replayed.length < 1 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(replayed).toHaveLength(1);
    const headers = replayed[0]!.properties.headers as Record<string, unknown>;
    expect(String(headers.id)).toBe("b");
    expect(Object.keys(headers).filter((h) => h.startsWith("knativeerror"))).toEqual([]);
    expect(JSON.parse(replayed[0]!.content.toString())).toEqual({ orderId: "b" });
    expect(await settledDepth(2)).toBe(2);
    expect((await list()).deadLetters.map((d) => d.id)).toEqual(["a", "c"]);
  });

  it("answers 503 + Retry-After when RabbitMQ refuses the dead letter (queue at its bound)", async () => {
    const bounded = `test.dead-letters.bounded.${suffix}`;
    await channel.assertQueue(bounded, {
      durable: true,
      // A classic queue refuses exactly at its bound (a quorum queue may let one more in).
      arguments: { "x-queue-type": "classic", "x-max-length": 1, "x-overflow": "reject-publish" },
    });
    const other = await startSink(bounded, exchange);
    try {
      expect((await deliver(other, failed("first"))).status).toBe(202);
      const refused = await deliver(other, failed("second"));
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/not parked/);
    } finally {
      other.child.kill("SIGTERM");
      await channel.deleteQueue(bounded).catch(() => undefined);
    }
  });

  it("answers 503 when the parked queue is gone, instead of a 2xx for a dropped message", async () => {
    const doomed = `test.dead-letters.doomed.${suffix}`;
    await channel.assertQueue(doomed, { durable: true, arguments: { "x-queue-type": "quorum" } });
    const other = await startSink(doomed, exchange);
    try {
      await channel.deleteQueue(doomed);
      const r = await deliver(other, failed("lost?"));
      expect(r.status).toBe(503);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/no queue took the event/);
    } finally {
      other.child.kill("SIGTERM");
    }
  });
});
