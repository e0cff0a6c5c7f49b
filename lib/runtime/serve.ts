/**
 * Runs a function's Hono app the way Knative expects a container to behave: listen on PORT,
 * answer `/health/readiness` and `/health/liveness`, and on SIGTERM stop taking requests,
 * finish the ones in flight, run the function's own shutdown (say, confirm what it published),
 * then exit.
 */
import type { Server } from "node:http";
import { serve as serveNode } from "@hono/node-server";
import { Hono, type MiddlewareHandler } from "hono";
import { listenError } from "./listen-error.js";

/** Limits every function applies to its HTTP server (see README, "Limits"). */
export interface ServerLimits {
  /** Address to listen on: all interfaces in a pod; the local platform passes 127.0.0.1. */
  host: string;
  /** Time for a client to send the request headers. */
  headersTimeoutMs: number;
  /** Time for a client to send the whole request (slow bodies get 408). */
  requestTimeoutMs: number;
  /** Largest request header block, in bytes (more is 431). */
  maxHeaderBytes: number;
}

export interface ServeOptions {
  app: Hono;
  port: number;
  name: string;
  limits?: Partial<ServerLimits>;
  /** Readiness beyond "not shutting down", e.g. "the broker connection is up". */
  ready?: () => boolean;
  /** Runs after the last in-flight request finished. */
  onShutdown?: () => Promise<void>;
  log?: (line: string) => void;
  /** Runs around the app's requests, not the probes' (tracing: probes would be noise). */
  middleware?: MiddlewareHandler;
}

export interface RunningFunction {
  port: number;
  shutdown(): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<RunningFunction> {
  const log = options.log ?? ((line: string) => console.log(`[${options.name}] ${line}`));
  let draining = false;

  const root = new Hono();
  root.get("/health/liveness", (c) => c.json({ status: "ok" }));
  root.get("/health/readiness", (c) => {
    const ready = !draining && (options.ready?.() ?? true);
    return c.json({ status: ready ? "ready" : "not ready" }, ready ? 200 : 503);
  });
  // While draining, close keep-alive connections after each answer so clients move elsewhere.
  root.use(async (c, next) => {
    await next();
    if (draining) c.header("Connection", "close");
  });
  if (options.middleware) root.use(options.middleware);
  root.route("/", options.app);

  const limits: ServerLimits = {
    host: "0.0.0.0",
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxHeaderBytes: 16 * 1024,
    ...options.limits,
  };
  const server = await new Promise<Server>((resolve, reject) => {
    // Without a listener a failure to listen is an unhandled 'error' event: a stack trace for what
    // is one line to fix (another process holds PORT). Only while listening: later errors (an
    // accept failing) stay the process's to die of, as before.
    const refused = (err: NodeJS.ErrnoException) =>
      reject(listenError(err, limits.host, options.port, "PORT"));
    const s = serveNode(
      {
        fetch: root.fetch,
        port: options.port,
        hostname: limits.host,
        serverOptions: {
          maxHeaderSize: limits.maxHeaderBytes,
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          // Node enforces the two timeouts on this tick (30 s by default): keep it finer than they are.
          connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2)),
        },
      },
      () => {
        s.off("error", refused);
        resolve(s as Server);
      },
    );
    s.once("error", refused);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      draining = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
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

  return { port, shutdown };
}
