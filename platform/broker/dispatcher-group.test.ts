// Real RabbitMQ, real HTTP: the dispatchers of one process share a connection, and one that
// cannot consume does not stop the others (on a cluster each has a connection of its own).
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import amqp, { type ChannelModel } from "amqplib";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toAmqp } from "../../lib/cloudevent-amqp.js";
import { DispatcherGroup } from "./dispatcher-group.js";
import type { DispatcherOptions } from "./dispatcher.js";

const RABBIT = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const suffix = randomBytes(4).toString("hex");
const queueA = `leveler-test-group-a-${suffix}`;
const queueB = `leveler-test-group-b-${suffix}`;
const exchange = `leveler-test-group-${suffix}`;

let admin: ChannelModel;
let server: Server;
let subscriberUrl: string;
const received: string[] = [];
let group: DispatcherGroup | undefined;

beforeAll(async () => {
  admin = await amqp.connect(RABBIT);
  const channel = await admin.createChannel();
  await channel.assertExchange(exchange, "headers", { durable: false, autoDelete: false });
  await channel.assertQueue(queueA, { durable: false });
  await channel.close();
  server = createServer((req, res) => {
    received.push(String(req.headers["ce-id"]));
    req.resume().on("end", () => res.writeHead(202).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  subscriberUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(async () => {
  await group?.stop();
  const channel = await admin.createChannel();
  for (const q of [queueA, queueB]) await channel.deleteQueue(q).catch(() => undefined);
  await channel.deleteExchange(exchange).catch(() => undefined);
  await admin.close();
  await new Promise((r) => server.close(r));
});

function member(name: string, queue: string): Omit<DispatcherOptions, "connection"> {
  return {
    name,
    queue,
    subscriberUrl,
    parallelism: 1,
    policy: { retry: 0, backoffPolicy: "exponential", backoffDelayMs: 10 },
    mode: "trigger",
    brokerExchange: exchange,
    deadLetterExchange: exchange,
  };
}

async function publish(queue: string, id: string): Promise<void> {
  const channel = await admin.createConfirmChannel();
  const event = new CloudEvent({ id, source: "/test", type: "com.example.test", data: { n: 1 } });
  const message = toAmqp(event);
  channel.sendToQueue(queue, message.content, message.properties);
  await channel.waitForConfirms();
  await channel.close();
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(condition(), what).toBe(true);
}

it("delivers for the Triggers whose queue it can consume while another's is missing, and takes that one up once its queue exists", async () => {
  const lines: string[] = [];
  group = new DispatcherGroup([member("a", queueA), member("b", queueB)], {
    amqpUrl: RABBIT,
    log: (line) => lines.push(line),
  });
  await group.start();

  // b's queue does not exist: its consume fails with a channel error (404), a's goes on.
  await publish(queueA, "first-a");
  await until(() => received.includes("first-a"), "a delivers while b cannot consume");
  expect(lines.join("\n")).toMatch(/dispatcher b: cannot consume \(.*NOT_FOUND.*\); trying again/);
  expect(lines.join("\n")).not.toMatch(/not reachable|lost RabbitMQ connection/);

  // The queue appears (the platform re-declares it, or someone does by hand): b consumes it.
  const channel = await admin.createChannel();
  await channel.assertQueue(queueB, { durable: false });
  await channel.close();
  await publish(queueB, "then-b");
  await until(() => received.includes("then-b"), "b consumes once its queue exists");
  await publish(queueA, "still-a");
  await until(() => received.includes("still-a"), "a kept delivering throughout");
});
