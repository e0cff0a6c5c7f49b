/**
 * One real ingress process as production runs it (the NODE_OPTIONS and MAX_EVENT_BYTES of
 * knative/services/ingress.yaml), publishing over AMQP to an exchange of its own on the real
 * RabbitMQ, with a queue that collects what it publishes: for tests of what the edge lets in.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import amqp, { type ChannelModel, type ConsumeMessage } from "amqplib";
import { parseAllDocuments } from "yaml";
import { freePort } from "../platform/ports.js";

const ROOT = join(import.meta.dirname, "..");
const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

export interface EdgeIngress {
  url: string;
  /** Everything the ingress published so far. */
  published: ConsumeMessage[];
  /** The process's exit code or signal once it has exited, else undefined. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** The ingress container's env in the shipped manifest. */
export function productionEnv(): Record<string, string> {
  const text = readFileSync(join(ROOT, "knative", "services", "ingress.yaml"), "utf8");
  const service = parseAllDocuments(text)
    .map(
      (d) =>
        d.toJS() as {
          spec?: {
            template?: {
              spec?: { containers?: { env?: { name: string; value?: string }[] }[] };
            };
          };
        },
    )
    .find((d) => d?.spec?.template?.spec?.containers);
  const env: Record<string, string> = {};
  for (const e of service?.spec?.template?.spec?.containers?.[0]?.env ?? [])
    if (e.value !== undefined) env[e.name] = e.value;
  if (!env.NODE_OPTIONS?.includes("--max-old-space-size"))
    throw new Error("knative/services/ingress.yaml no longer caps the ingress's heap");
  return env;
}

export async function startEdgeIngress(env: Record<string, string> = {}): Promise<EdgeIngress> {
  const id = randomBytes(4).toString("hex");
  const exchange = `t.edge.${id}`;
  const connection: ChannelModel = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, "headers", { durable: false, autoDelete: false });
  const { queue } = await channel.assertQueue("", { exclusive: true });
  await channel.bindQueue(queue, exchange, "", {});
  const published: ConsumeMessage[] = [];
  await channel.consume(queue, (m) => m && published.push(m), { noAck: true });

  const [port, metricsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, "dist", "functions", "ingress.js")],
    {
      env: {
        ...process.env,
        ...productionEnv(),
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        HOST: "127.0.0.1",
        AMQP_URL,
        BROKER_EXCHANGE: exchange,
        K_SINK: "",
        ...env,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  let exit: string | undefined;
  child.once("exit", (code, signal) => (exit = String(signal ?? code)));
  const stop = async () => {
    if (exit === undefined) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    }
    await channel.deleteExchange(exchange).catch(() => undefined);
    await connection.close().catch(() => undefined);
  };
  // Ready once the readiness probe passes: the broker connection is up.
  for (const deadline = Date.now() + 20_000; ;) {
    try {
      const r = await fetch(`${url}/health/readiness`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (exit !== undefined || Date.now() > deadline) {
      await stop();
      throw new Error(`the ingress did not become ready (exit: ${exit ?? "none"})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, published, exited: () => exit, stop };
}
