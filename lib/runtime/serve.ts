/**
 * Runs a function's request listener the way Knative expects a container to behave: listen on
 * PORT, answer `/health/readiness` and `/health/liveness`, and on SIGTERM stop taking requests,
 * finish the ones in flight, run the function's own shutdown (say, confirm what it published),
 * then exit.
 *
 * It is plain node:http, with no web framework: a Hono app comes as a listener
 * (hono-listener.ts), a consumer as its own (functions/consumer-runtime/consumer-http.ts). The
 * probes are answered here, before any listener, so they cost a starting replica no framework
 * code and are never traced.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Breaker, QUEUE_DEPTH_FACTOR } from "./breaker.js";
import { BusyTime } from "./busy-time.js";
import { listenError } from "./listen-error.js";

/** Limits every function applies to its HTTP server (see README, "Limits"). */
export interface ServerLimits {
  /** Address to listen on: unset, every interface (a pod); the local platform passes 127.0.0.1. */
  host: string | undefined;
  /** Time for a client to send the request headers. */
  headersTimeoutMs: number;
  /** Time for a client to send the whole request (slow bodies get 408). */
  requestTimeoutMs: number;
  /** Largest request header block, in bytes (more is 431). */
  maxHeaderBytes: number;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServeOptions {
  listener: RequestListener;
  port: number;
  /**
   * A port shared with the Service's other replicas (SO_REUSEPORT, Linux), joined at the first
   * readiness probe that finds the function ready; unset in a pod.
   */
  sharedPort?: number | undefined;
  /**
   * At most this many requests reach the listener at once, the rest wait (breaker.ts); 0 or unset:
   * no bound here (in a pod the queue-proxy keeps it).
   */
  containerConcurrency?: number | undefined;
  name: string;
  limits?: Partial<ServerLimits>;
  /** Readiness beyond "not shutting down", e.g. "the broker connection is up". */
  ready?: () => boolean;
  /** Runs after the last in-flight request finished. */
  onShutdown?: () => Promise<void>;
  log?: (line: string) => void;
}

export interface RunningFunction {
  port: number;
  /** Seconds requests (probes aside) have spent in this server so far, those in flight included. */
  busySeconds(): number;
  /** Requests (probes aside) in this server now, those waiting for the breaker included. */
  inFlight(): number;
  shutdown(): Promise<void>;
}

const HEALTH_READINESS = "/health/readiness";
const HEALTH_LIVENESS = "/health/liveness";
/** Marks an answer whose request the breaker started (so its end frees a slot). */
const STARTED = Symbol("started");
type Tracked = ServerResponse & { [STARTED]?: true };

export async function serve(options: ServeOptions): Promise<RunningFunction> {
  const log = options.log ?? ((line: string) => console.log(`[${options.name}] ${line}`));
  let draining = false;
  /**
   * Open connections, so that draining can tell the answer each one is making to close it. Kept
   * per connection, not per request: anything done for each request is paid on every event (a
   * set of responses, or two listeners on each, cost the ingress 15-20 % of its CPU per request,
   * measured), and with keep-alive connections are few.
   */
  const connections = new Set<Socket>();

  const probe = (res: ServerResponse, ok: boolean, status: string) => {
    const body = JSON.stringify({ status });
    res.writeHead(ok ? 200 : 503, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  };

  const limits: ServerLimits = {
    host: undefined,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxHeaderBytes: 16 * 1024,
    ...options.limits,
  };
  const busy = new BusyTime();
  const cc = options.containerConcurrency ?? 0;
  const breaker =
    cc > 0
      ? new Breaker<Tracked>(cc, QUEUE_DEPTH_FACTOR * cc, (res) => {
          res[STARTED] = true;
          options.listener(res.req, res);
        })
      : undefined;
  // One function for every request, not a closure each: 'close' comes once per response, whether
  // it was answered or its client went away.
  function ended(this: Tracked) {
    busy.end(performance.now());
    if (!breaker) return;
    if (this[STARTED]) breaker.leave();
    else breaker.withdraw(this);
  }
  /** The shared port's listener once joined; undefined before, or without one. */
  let shared: Promise<ReturnType<typeof createServer> | undefined> | undefined;
  const joinShared = (sharedPort: number) =>
    (shared ??= listen(createHttpServer(), sharedPort, "SHARED_PORT", true).catch((err: Error) => {
      log(err.message);
      shared = undefined; // the next probe tries again
      return undefined;
    }));

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // While draining, close keep-alive connections after each answer so clients move elsewhere.
    if (draining) res.setHeader("connection", "close");
    if (req.method === "GET" || req.method === "HEAD") {
      const path = req.url?.split("?", 1)[0];
      if (path === HEALTH_LIVENESS) return probe(res, true, "ok");
      if (path === HEALTH_READINESS) {
        const ready = !draining && (options.ready?.() ?? true);
        if (!ready || options.sharedPort === undefined)
          return probe(res, ready, ready ? "ready" : "not ready");
        // Not ready until the shared port reaches it: the platform then stops answering there.
        void joinShared(options.sharedPort).then((joined) =>
          probe(res, joined !== undefined, joined ? "ready" : "not ready: SHARED_PORT not joined"),
        );
        return;
      }
    }
    busy.start(performance.now());
    res.on("close", ended);
    if (!breaker) return options.listener(req, res);
    const entry = breaker.enter(res);
    // A request that must wait found this replica full: its connection goes after the answer, so
    // the client's next one may land on another replica. The kernel balances connections, not
    // requests (a cluster's gateway balances requests), and a keep-alive connection would
    // otherwise stay with a full replica while the ones the autoscaler added wait for work.
    if (entry === "queued") res.setHeader("connection", "close");
    else if (entry === "full") {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "1" });
      res.end("pending request queue full\n");
    }
  };
  const createHttpServer = () => {
    const created = createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        // Node enforces the two timeouts on this tick (30 s by default): keep it finer than they are.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2)),
      },
      handle,
    );
    created.on("connection", (socket: Socket) => {
      connections.add(socket);
      socket.once("close", () => connections.delete(socket));
    });
    created.keepAliveTimeout = 65_000;
    return created;
  };
  const listen = (
    target: ReturnType<typeof createServer>,
    port: number,
    variable: string,
    reusePort = false,
  ) =>
    new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      // Without a listener a failure to listen is an unhandled 'error' event: a stack trace for
      // what is one line to fix (another process holds PORT). Only while listening: later errors
      // (an accept failing) stay the process's to die of, as before.
      const refused = (err: NodeJS.ErrnoException) =>
        reject(listenError(err, limits.host, port, variable));
      target.once("error", refused);
      target.listen({ port, host: limits.host, ...(reusePort ? { reusePort } : {}) }, () => {
        target.off("error", refused);
        resolve(target);
      });
    });

  const server = await listen(createHttpServer(), options.port, "PORT");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      draining = true;
      // The answer a connection is making is Node's `_httpMessage` of its socket until it is
      // written (what http-terminator reads to drain a server the same way).
      for (const socket of connections) {
        const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
        if (res && !res.headersSent) res.setHeader("connection", "close");
      }
      const close = (listening: ReturnType<typeof createServer>) =>
        new Promise<void>((resolve) => {
          listening.close(() => resolve());
          listening.closeIdleConnections();
        });
      // Both at once: from here the kernel gives the shared port's new connections to the
      // replicas that stay.
      const sharedServer = await shared;
      await Promise.all(sharedServer ? [close(server), close(sharedServer)] : [close(server)]);
      await options.onShutdown?.();
    })());

  process.once("SIGTERM", () => {
    log("SIGTERM: draining");
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
  process.once("SIGINT", () => void shutdown().then(() => process.exit(0)));

  return {
    port,
    busySeconds: () => busy.seconds(performance.now()),
    inFlight: () => busy.active,
    shutdown,
  };
}
