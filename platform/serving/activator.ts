/**
 * A Service's stable address: an HTTP proxy that performs, request by request, what
 * activator-choice.ts decides: forward to a ready replica, hold, or 503 with Retry-After (which a
 * dispatcher retries). While the autoscaler keeps the activator in the request path it balances
 * and holds as Knative's activator does; out of the path it passes requests to the replicas in
 * turn with only the queue-proxy's per-replica bound. A request held with no ready replica asks
 * the autoscaler for one. It also counts requests in flight, which is the concurrency the
 * autoscaler scales on (the queue-proxy's job in Knative).
 *
 * Out of the path it stays out of the bytes too: a new connection goes straight to a ready replica
 * with room (fewest connections first), spliced at L4 as the TCP front does, so a warm replica is
 * reached without parsing HTTP here, the way Knative routes past the activator (`target-burst-
 * capacity: "0"`). Each replica takes at most containerConcurrency spliced connections, so
 * connections spread over the replicas; connections that find every replica full, and every
 * connection while the activator is in the path, are served over HTTP as above, and move to a
 * replica of their own once one has room. The bound itself is per request, as the queue-proxy's
 * breaker keeps it in each pod: a request on a spliced connection reaches its replica only while
 * the replica has fewer than containerConcurrency requests (spliced or over HTTP), else it waits
 * in that replica's line (splice.ts, `gate`). An idle connection holds no slot, so a request
 * served over HTTP is not kept waiting by connections that carry nothing. The difference from a
 * cluster: there Kourier balances requests across the pods, here connections are (README, "Local
 * and cluster").
 *
 * Where the address can be shared (shared-port.ts; a Service whose activator leaves the path
 * whenever a replica is ready, `target-burst-capacity: "0"`), out of the path it stops listening
 * altogether: the replicas hold the address, the kernel hands them new connections, and each keeps
 * containerConcurrency itself as its queue-proxy would (CONTAINER_CONCURRENCY). What is said above
 * then holds for the connections accepted before, and for every connection where the address
 * cannot be shared.
 */
import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { chooseRoute, type Choice } from "./activator-choice.js";
import { ConcurrencyMeter } from "./concurrency.js";
import { frontUrl, type Endpoint, type Front, type FrontEndpoint } from "./endpoints.js";
import { SharedPort, type SharingOptions } from "./shared-port.js";
import { splice } from "./splice.js";

/**
 * `share`: give the address to the replicas (shared-port.ts) while out of the path with a replica
 * ready: for a Service whose activator leaves the path whenever one is (`target-burst-capacity:
 * "0"`), whose replicas then keep containerConcurrency themselves.
 */
export interface ActivatorOptions extends SharingOptions {
  containerConcurrency: number;
  maxWaiting: number;
  holdTimeoutMs: number;
  /** Called when a request waits and no replica is ready: the Service must wake. */
  onDemand: () => void;
}

/** A ready replica as the activator tracks it. */
class Replica implements Endpoint {
  /** Connections spliced to it. */
  spliced = 0;
  /** Requests at the replica now, over HTTP or spliced: the slots they hold. */
  active = 0;
  /** Spliced requests waiting for a slot, first come first served. */
  readonly line: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Every request bound for it, those in its line too: what the route choice weighs. */
  get inFlight(): number {
    return this.active + this.line.length;
  }
}

interface Waiting {
  req: IncomingMessage;
  res: ServerResponse;
  since: number;
  timer: NodeJS.Timeout;
}

export class Activator implements Front {
  private endpoints: Replica[] = [];
  private readonly queue: Waiting[] = [];
  private readonly meter = new ConcurrencyMeter();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  private readonly address: SharedPort;
  /** The HTTP side: never listens; the TCP server hands it the connections it does not splice. */
  private readonly http: Server;
  /** Every socket this front holds (accepted, and spliced upstreams), for close(). */
  private readonly sockets = new Set<Socket>();
  private inPath = true;
  private cursor = 0;

  constructor(private readonly options: ActivatorOptions) {
    this.http = createServer((req, res) => this.handle(req, res));
    this.http.keepAliveTimeout = 65_000;
    this.address = new SharedPort(options, (socket) => this.accept(socket));
  }

  listen(port = 0, host = "127.0.0.1"): Promise<void> {
    return this.address.listen(port, host);
  }

  get port(): number {
    return this.address.port;
  }

  get url(): string {
    return frontUrl(this.address.host, this.address.port);
  }

  /** The port replicas listen on too (SHARED_PORT), when the activator shares it. */
  get sharedPort(): number | undefined {
    return this.address.sharedPort;
  }

  /** Whether the activator is listening, so in the request path of new connections. */
  get listening(): boolean {
    return this.address.listening;
  }

  get inFlight(): number {
    return this.address.reported ?? this.meter.current;
  }

  /** Requests held here over HTTP, and spliced ones in a replica's line for a slot. */
  get waiting(): number {
    let lines = 0;
    for (const r of this.endpoints) lines += r.line.length;
    return this.queue.length + lines;
  }

  takeConcurrency(): number {
    // Waiting requests count as demand too, as the queue-proxy counts those in its breaker's queue:
    // that is also how a Service at zero asks for a replica. While the replicas hold the address,
    // their own reports cover every request at them, those passed on from here included.
    const routed = this.meter.takeAverage();
    return (this.address.reported ?? routed) + this.waiting;
  }

  setActivatorInPath(inPath: boolean): void {
    if (inPath === this.inPath) return;
    this.inPath = inPath;
    this.address.setInPath(inPath);
    this.flush();
  }

  setEndpoints(list: readonly FrontEndpoint[]): void {
    const known = new Map(this.endpoints.map((e) => [e.id, e]));
    this.endpoints = list.map((e) => known.get(e.id) ?? new Replica(e.id, e.host, e.port));
    this.address.follow(list, this.inPath);
    this.flush();
  }

  async close(): Promise<void> {
    for (const w of this.queue.splice(0)) {
      clearTimeout(w.timer);
      this.reject(w.res, "the platform is shutting down");
    }
    this.agent.destroy();
    this.http.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await this.address.close();
  }

  /** Spliced straight to a replica out of the path, when one has room; else served over HTTP. */
  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    const replica = this.inPath ? undefined : this.roomForConnection();
    if (replica) this.splice(socket, replica);
    else this.http.emit("connection", socket);
  }

  /** The replica with the fewest spliced connections among those that take one more. */
  private roomForConnection(): Replica | undefined {
    const cc = this.options.containerConcurrency;
    let best: Replica | undefined;
    for (const r of this.endpoints)
      if ((cc === 0 || r.spliced < cc) && (!best || r.spliced < best.spliced)) best = r;
    return best;
  }

  /** Straight to the replica (splice.ts); each request on it passes the replica's gate. */
  private splice(client: Socket, replica: Replica): void {
    replica.spliced++;
    const cc = this.options.containerConcurrency;
    const upstream = splice(client, replica, {
      gate: {
        acquire: (go) => {
          if (replica.line.length === 0 && (cc === 0 || replica.active < cc)) {
            this.take(replica);
            go();
            return () => undefined;
          }
          replica.line.push(go);
          return () => {
            const i = replica.line.indexOf(go);
            if (i >= 0) replica.line.splice(i, 1);
          };
        },
        release: () => this.freed(replica),
      },
      closed: () => {
        replica.spliced--;
        // A connection slot is free: a connection served over HTTP may move here.
        this.flush();
      },
    });
    this.sockets.add(upstream);
    upstream.once("close", () => this.sockets.delete(upstream));
  }

  /** A request reaches `replica`: it takes a slot and counts as in flight for the autoscaler. */
  private take(replica: Replica): void {
    replica.active++;
    this.meter.change(+1);
  }

  /** A request at `replica` is over: the next in its line goes on, else one waiting over HTTP. */
  private freed(replica: Replica): void {
    replica.active--;
    this.meter.change(-1);
    const next = replica.line.shift();
    if (next) {
      this.take(replica);
      next();
    } else this.flush();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const choice = this.choose(false, 0);
    if (choice.action !== "hold") {
      this.perform(choice, req, res);
      return;
    }
    const waiting: Waiting = {
      req,
      res,
      since: Date.now(),
      timer: setTimeout(() => {
        const i = this.queue.indexOf(waiting);
        if (i < 0) return;
        this.queue.splice(i, 1);
        const late = this.choose(true, Date.now() - waiting.since, this.options.holdTimeoutMs);
        this.perform(late, waiting.req, waiting.res);
      }, this.options.holdTimeoutMs),
    };
    req.pause();
    this.queue.push(waiting);
    res.once("close", () => {
      const i = this.queue.indexOf(waiting);
      if (i >= 0) {
        this.queue.splice(i, 1);
        clearTimeout(waiting.timer);
      }
    });
    if (this.endpoints.length === 0) this.options.onDemand();
  }

  /** The decision for one request; `atLeastMs` makes a timer's expiry count as the timeout. */
  private choose(held: boolean, waitedMs: number, atLeastMs = 0): Choice {
    return chooseRoute({
      service: this.options.service,
      activatorInPath: this.inPath,
      replicas: this.endpoints,
      containerConcurrency: this.options.containerConcurrency,
      waiting: this.queue.length,
      held,
      waitedMs: Math.max(waitedMs, atLeastMs),
      maxWaiting: this.options.maxWaiting,
      holdTimeoutMs: this.options.holdTimeoutMs,
      cursor: this.cursor,
    });
  }

  private perform(choice: Choice, req: IncomingMessage, res: ServerResponse): void {
    if (choice.action === "forward") {
      this.cursor = choice.cursor;
      req.resume();
      this.forward(
        this.endpoints.find((e) => e.id === choice.replica)!,
        req,
        res,
      );
    } else if (choice.action === "reject") {
      req.resume();
      this.reject(res, choice.reason, choice.retryAfterSeconds);
    }
  }

  /** Waiting requests go on, first come first served, while the choice allows it. */
  private flush(): void {
    while (this.queue.length) {
      const first = this.queue[0]!;
      const choice = this.choose(true, Date.now() - first.since);
      if (choice.action !== "forward") return;
      this.queue.shift();
      clearTimeout(first.timer);
      this.perform(choice, first.req, first.res);
    }
  }

  private forward(endpoint: Replica, req: IncomingMessage, res: ServerResponse): void {
    this.take(endpoint);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.freed(endpoint);
    };
    const upstream = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.agent,
      },
      (answer) => {
        const headers = { ...answer.headers };
        // Hop-by-hop: they describe the replica's connection, not the client's.
        delete headers.connection;
        delete headers["keep-alive"];
        // Out of the path, a connection served here moves to a replica of its own once one takes
        // another spliced connection: closing it makes the client's next request open a
        // connection that can be spliced.
        if (!this.inPath && this.roomForConnection()) res.shouldKeepAlive = false;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
        answer.once("end", finish);
        answer.once("error", finish);
      },
    );
    upstream.once("error", (err) => {
      finish();
      // The replica went away under the request: 502 is retried by the dispatcher.
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`${this.options.service}: replica unreachable (${err.message})`);
      } else res.destroy();
    });
    res.once("close", finish);
    req.pipe(upstream);
  }

  private reject(res: ServerResponse, why: string, retryAfterSeconds = 1): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(503, { "content-type": "text/plain", "retry-after": String(retryAfterSeconds) });
    res.end(`${why}\n`);
  }
}
