/**
 * A RabbitMQ connection that comes back by itself. amqplib leaves recovery to the application;
 * this wrapper reconnects with exponential backoff and full jitter (so a fleet of processes does
 * not reconnect in lock-step after a broker restart) and re-runs `setup` on every new connection,
 * which is where callers open their channels and declare what they need.
 *
 * `url` may list several nodes of one cluster (amqp-urls.ts): the first connection goes to one
 * picked at random, so a fleet spreads over the nodes as a Service would spread it, and each
 * failed attempt or lost connection moves on to the next node.
 */
import { EventEmitter } from "node:events";
import { Socket } from "node:net";
import amqp, { type ChannelModel } from "amqplib";
import { amqpUrls, nextUrlIndex, redact } from "./amqp-urls.js";
import { coalesceWrites } from "./socket-coalesce.js";

export { redact } from "./amqp-urls.js";

/** How long a TCP connect may take before the node counts as gone (a host that drops packets). */
const CONNECT_TIMEOUT_MS = 5_000;

export interface ReconnectingConnectionOptions {
  /** One AMQP URL, or several nodes of one cluster separated by commas. */
  url: string;
  /** Shown in the RabbitMQ management UI as the connection name. */
  name: string;
  /** Runs on each new connection before it is announced; a throw closes it and retries. */
  setup?: (connection: ChannelModel) => Promise<void>;
  minDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
  /** Which node of `url` to try first; random unless given (tests). */
  firstNode?: number;
}

export interface ReconnectingConnectionEvents {
  connected: [ChannelModel];
  disconnected: [Error | undefined];
}

export class ReconnectingConnection extends EventEmitter<ReconnectingConnectionEvents> {
  private connection: ChannelModel | undefined;
  private pendingSetup: ChannelModel | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly log: (line: string) => void;
  private readonly urls: string[];
  private node: number;

  constructor(private readonly options: ReconnectingConnectionOptions) {
    super();
    this.minDelayMs = options.minDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.log = options.log ?? (() => undefined);
    this.urls = amqpUrls(options.url);
    this.node =
      (options.firstNode ?? Math.floor(Math.random() * this.urls.length)) % this.urls.length;
  }

  /** The URL of the node this connection uses now, or tries next. */
  get nodeUrl(): string {
    return this.urls[this.node]!;
  }

  get current(): ChannelModel | undefined {
    return this.connection;
  }

  /**
   * The connection `setup` is running on, before it is announced. Work that `setup` starts (a
   * consumer's first deliveries) may need a channel of its own on it at once: a dispatcher's
   * replies would otherwise fail with "not connected" and their messages go round again.
   */
  get settingUp(): ChannelModel | undefined {
    return this.pendingSetup;
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  /** Starts connecting; resolves after the first attempt, whether or not it succeeded. */
  start(): Promise<void> {
    this.stopped = false;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Resolves with a live connection, waiting through reconnects; rejects after `timeoutMs`. */
  async ready(timeoutMs = 30_000): Promise<ChannelModel> {
    if (this.connection) return this.connection;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("connected", onConnected);
        reject(
          new Error(
            `no connection to RabbitMQ at ${redact(this.options.url)} after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onConnected = (c: ChannelModel) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.once("connected", onConnected);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await connection.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let connection: ChannelModel | undefined;
    try {
      connection = await amqp.connect(withHeartbeat(this.nodeUrl), {
        clientProperties: { connection_name: this.options.name },
        timeout: CONNECT_TIMEOUT_MS,
        // Frames leave at once; what one turn writes goes out together (socket-coalesce.ts).
        noDelay: true,
      });
      batchFrames(connection);
      connection.on("error", () => undefined); // 'close' follows and drives recovery
      connection.once("close", (err?: Error) => this.onClose(connection!, err));
      this.pendingSetup = connection;
      try {
        await this.options.setup?.(connection);
      } finally {
        this.pendingSetup = undefined;
      }
      if (this.stopped) {
        await connection.close().catch(() => undefined);
        return;
      }
      this.connection = connection;
      if (this.attempt > 0)
        this.log(
          `reconnected to RabbitMQ${this.urls.length > 1 ? ` at ${redact(this.nodeUrl)}` : ""} after ${this.attempt} attempt(s)`,
        );
      this.attempt = 0;
      this.emit("connected", connection);
    } catch (err) {
      if (connection) await connection.close().catch(() => undefined);
      this.scheduleRetry(err as Error);
    }
  }

  private onClose(connection: ChannelModel, err: Error | undefined): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.emit("disconnected", err);
    if (!this.stopped) {
      this.log(`lost RabbitMQ connection${err ? `: ${err.message}` : ""}; reconnecting`);
      this.scheduleRetry(err);
    }
  }

  private scheduleRetry(err: Error | undefined): void {
    if (this.stopped) return;
    this.attempt++;
    // Another node of the list, if there is one: the one that failed is tried again last.
    this.node = nextUrlIndex(this.node, this.urls.length);
    // Full jitter: uniform in [min, cap], cap doubling per attempt.
    const cap = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** Math.min(this.attempt, 16));
    const delay = this.minDelayMs + Math.random() * (cap - this.minDelayMs);
    if (this.attempt === 1 || this.attempt % 10 === 0) {
      this.log(
        `RabbitMQ not reachable (${err?.message ?? "closed"}); retry ${this.attempt} in ${Math.round(delay)} ms`,
      );
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.start(), delay);
  }
}

/**
 * One `writev` per turn on the connection's socket (socket-coalesce.ts). amqplib does not export
 * its socket; `connection.connection.stream` is where lib/connection.js keeps it. Anything else
 * there (a later amqplib) is left as it is: slower, not wrong.
 */
function batchFrames(model: ChannelModel): void {
  const stream = (model.connection as { stream?: unknown }).stream;
  if (stream instanceof Socket) coalesceWrites(stream);
}

/** Heartbeats notice a broker that vanished without closing the socket; amqplib takes them from the URL. */
function withHeartbeat(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has("heartbeat")) u.searchParams.set("heartbeat", "10");
  return u.toString();
}

/**
 * One connection to the first node of `url` that answers, trying each in turn (for a short task:
 * declaring the topology, a CLI command). Throws the last node's error when none answers.
 */
export async function connectAny(
  url: string,
  options: { timeoutMs?: number } = {},
): Promise<ChannelModel> {
  let last: unknown;
  for (const node of amqpUrls(url)) {
    try {
      return await amqp.connect(node, { timeout: options.timeoutMs ?? CONNECT_TIMEOUT_MS });
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
