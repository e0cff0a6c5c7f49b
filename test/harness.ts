/**
 * Starts a real local platform for a test: real RabbitMQ, real processes, real HTTP. Each
 * platform gets a unique instance id, so its exchanges and queues are its own, and removes them
 * when it stops.
 */
import { randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChannelModel, ConsumeMessage } from "amqplib";
import { parseAllDocuments, stringify } from "yaml";
import { ReconnectingConnection } from "../lib/amqp-connection.js";
import { readPlatformConfig } from "../platform/config.js";
import { Platform } from "../platform/platform.js";
import { ensureControlToken } from "../platform/control-token.js";
import { startStatusServer } from "../platform/status-server.js";
import type { PlatformStatus } from "../platform/status/status-document.js";

export interface TestPlatform {
  platform: Platform;
  ingressUrl: string;
  statusUrl: string;
  /** The control token, for calls that change state. */
  token: string;
  amqpUrl: string;
  exchange: string;
  status(): Promise<PlatformStatus>;
  /** A queue bound to the Broker's exchange with `filter` (x-match all); collects what arrives. */
  tap(filter: Record<string, string>, match?: "all" | "any"): Promise<Tap>;
  instance: string;
  /** What the platform has logged so far (a replica replaced, a dispatcher restarted). */
  log: readonly string[];
  /** Stops everything; `keepTopology` leaves the queues for a later platform of the same instance. */
  stop(options?: { keepTopology?: boolean }): Promise<void>;
}

export interface Tap {
  messages: ConsumeMessage[];
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

export interface TestPlatformOptions {
  env?: Record<string, string>;
  /** Reuse an instance id (and so its queues) from an earlier platform of the same test. */
  instance?: string;
  /** Changes a manifest document in place (by kind and name) before the platform reads it. */
  edit?: (doc: ManifestDoc) => void;
  /**
   * The taps' queue type: classic by default; quorum where a test loses a RabbitMQ node (a
   * classic queue lives on one node, and what is routed to it while that node is down is dropped).
   */
  tapQueueType?: "classic" | "quorum";
}

const ROOT = join(import.meta.dirname, "..");

export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  if (!existsSync(join(ROOT, "dist", "functions", "ingress.js")))
    throw new Error("run `npm run build` before the integration tests");
  const instance = options.instance ?? `t${randomBytes(4).toString("hex")}`;
  const work = mkdtempSync(join(tmpdir(), `leveler-${instance}-`));
  for (const dir of ["knative", "rabbitmq-eventing"])
    cpSync(join(ROOT, dir), join(work, dir), { recursive: true });
  // The parked dead-letter queue has a fixed name (a Queue manifest's spec.name): give each test
  // platform its own, as the Trigger queues are its own by instance.
  const parked = `leveler-dead-letters-${instance}`;
  editManifests(work, (doc) => {
    type Env = { name?: string; value?: unknown }[];
    const spec = (doc.spec ?? {}) as {
      name?: string;
      template?: { spec?: { containers?: { env?: Env }[] } };
    };
    if (doc.kind === "Queue" && spec.name === "leveler-dead-letters") spec.name = parked;
    for (const c of spec.template?.spec?.containers ?? [])
      for (const e of c.env ?? [])
        if (e.name === "DEAD_LETTER_QUEUE" && e.value === "leveler-dead-letters") e.value = parked;
    options.edit?.(doc);
  });

  const env: Record<string, string | undefined> = {
    ...process.env,
    LEVELER_INSTANCE: instance,
    LEVELER_STATE_DIR: join(work, "state"),
    LEVELER_MANIFESTS: `${join(work, "knative")},${join(work, "rabbitmq-eventing")}`,
    LEVELER_DIST: join(ROOT, "dist"),
    // The front binds a port the kernel picks, so nothing can take it between picking and binding.
    INGRESS_PORT: "0",
    ...options.env,
  };
  const config = readPlatformConfig(env, work);
  const lines: string[] = [];
  const platform = new Platform({ config, env, log: (line) => lines.push(line) });
  await platform.start();
  const token = ensureControlToken(config.stateDir);
  const status = await startStatusServer(platform, 0, "127.0.0.1", { token });
  const exchange = platform.plan.brokers[0]!.exchange;
  // Taps are durable queues consumed over a connection that comes back by itself, so a test that
  // restarts the broker still sees every reply (an exclusive queue would vanish with the connection).
  const taps: {
    queue: string;
    filter: Record<string, string>;
    match: string;
    messages: ConsumeMessage[];
  }[] = [];
  const consumeTap = async (c: ChannelModel, tap: (typeof taps)[number]) => {
    const ch = await c.createChannel();
    await ch.assertQueue(tap.queue, {
      durable: true,
      arguments: { "x-queue-type": options.tapQueueType ?? "classic" },
    });
    await ch.bindQueue(tap.queue, exchange, "", { "x-match": tap.match, ...tap.filter });
    await ch.consume(tap.queue, (m) => {
      if (!m) return;
      tap.messages.push(m);
      ch.ack(m);
    });
  };
  const connection = new ReconnectingConnection({
    url: platform.amqpUrl,
    name: "test taps",
    setup: async (c) => {
      for (const tap of taps) await consumeTap(c, tap);
    },
  });
  await connection.start();
  await connection.ready();

  return {
    platform,
    ingressUrl: platform.ingressUrl!,
    statusUrl: `http://127.0.0.1:${status.port}/api/status`,
    token,
    amqpUrl: platform.amqpUrl,
    exchange,
    status: () => platform.status(),
    async tap(filter, match = "all") {
      const messages: ConsumeMessage[] = [];
      const tap = { queue: `tap.${instance}.${taps.length}`, filter, match, messages };
      taps.push(tap);
      await consumeTap(await connection.ready(), tap);
      return {
        messages,
        async waitFor(count, timeoutMs = 60_000) {
          const deadline = Date.now() + timeoutMs;
          while (messages.length < count) {
            if (Date.now() > deadline)
              // What the platform said meanwhile (a replica that exited, a dispatcher restarted)
              // may say why: a failing test keeps no state to look at afterwards.
              throw new Error(
                [
                  `tap got ${messages.length} of ${count} messages in ${timeoutMs} ms; the platform's last lines:`,
                  ...lines.slice(-20),
                ].join("\n"),
              );
            await new Promise((r) => setTimeout(r, 50));
          }
        },
      };
    },
    instance,
    log: lines,
    async stop(stopOptions = {}) {
      const c = connection.current;
      if (c) {
        const ch = await c.createChannel();
        for (const tap of taps) await ch.deleteQueue(tap.queue).catch(() => undefined);
      }
      await connection.stop();
      await status.close();
      await platform.stop({ deleteTopology: !stopOptions.keepTopology });
      if (process.env.KEEP_TEST_STATE) console.log(`state kept in ${work}\n${lines.join("\n")}`);
      else rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A manifest as a test edits it. */
export interface ManifestDoc {
  kind?: string;
  metadata: { name?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** What the ingress answers: an id, ids for a batch, or a problem. */
export interface Answer {
  id: string;
  ids: string[];
  status?: number;
  detail?: string;
}

function editManifests(work: string, edit: (doc: ManifestDoc) => void): void {
  for (const dir of ["knative", "rabbitmq-eventing"]) {
    const walk = (path: string): string[] =>
      readdirSync(path).flatMap((e) =>
        statSync(join(path, e)).isDirectory()
          ? walk(join(path, e))
          : /\.ya?ml$/.test(e)
            ? [join(path, e)]
            : [],
      );
    for (const file of walk(join(work, dir))) {
      const docs = parseAllDocuments(readFileSync(file, "utf8")).map(
        (d) => d.toJS() as ManifestDoc | null,
      );
      docs.forEach((d) => d && edit(d));
      writeFileSync(file, docs.map((d) => stringify(d)).join("---\n"));
    }
  }
}

export async function post(
  url: string,
  init: { headers?: Record<string, string>; body: string },
): Promise<{ status: number; body: Answer }> {
  const response = await fetch(url, {
    method: "POST",
    headers: init.headers ?? {},
    body: init.body,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Answer };
}
