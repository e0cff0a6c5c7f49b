/**
 * The platform's HTTP API on the status port: the status document, the timeline, scale events,
 * dead-letter list and replay, its own metrics, and the dashboard. Tools and tests read these
 * documents: add fields, never rename or remove one.
 */
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { DeadLetterApiError } from "./dead-letters/api-client.js";
import type { Platform } from "./platform.js";
import { controlAuth, createDashboardRoutes, dashboardDeps, hostGuard } from "./dashboard/index.js";
import { createPlatformMetrics } from "./status/platform-metrics.js";

export interface StatusAppOptions {
  /** Required as `Authorization: Bearer <token>` on every call that changes state. */
  token: string;
  /** The address the server listens on (default 127.0.0.1): the `Host` names it answers to. */
  hostname?: string;
}

/** `GET /api/dlq?limit=N`: at most this many dead letters in one answer, across every queue. */
export const MAX_DLQ_LIMIT = 1000;
export const DEFAULT_DLQ_LIMIT = 100;

export function createStatusApp(platform: Platform, options: StatusAppOptions): Hono {
  const app = new Hono();
  // Only requests addressed to this server by its own name (DNS rebinding), on every route.
  app.use("*", hostGuard({ ...(options.hostname ? { listenHost: options.hostname } : {}) }));
  // Reads are open on 127.0.0.1; anything that changes state needs the token from the state dir
  // (Bearer), or the dashboard's session cookie with a same-origin Origin (dashboard/auth.ts).
  app.use("/api/*", controlAuth(options.token));
  app.get("/api/dlq", async (c) => {
    const limit = parseLimit(c.req.query("limit"));
    if (typeof limit === "string") return badQuery(c, "limit", limit);
    const filter = {
      ...(c.req.query("type") ? { type: c.req.query("type")! } : {}),
      ...(c.req.query("id") ? { id: c.req.query("id")! } : {}),
    };
    try {
      return c.json({ deadLetters: await platform.deadLetters(limit, filter) });
    } catch (err) {
      return sinkProblem(c, err);
    }
  });
  app.post("/api/dlq/replay", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { type?: unknown; id?: unknown };
    const filter = {
      ...(typeof body.type === "string" && body.type ? { type: body.type } : {}),
      ...(typeof body.id === "string" && body.id ? { id: body.id } : {}),
    };
    try {
      return c.json({ replayed: await platform.replayDeadLetters(filter) });
    } catch (err) {
      return sinkProblem(c, err);
    }
  });
  const metrics = createPlatformMetrics({ functions: () => platform.functionGauges() });
  app.get("/metrics", async (c) =>
    c.text(await metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
  app.get("/api/status", async (c) => c.json(await platform.status()));
  // `?since=<epoch ms>` returns only newer samples; without it, the whole window.
  app.get("/api/timeline", (c) => {
    const since = Number(c.req.query("since") ?? 0);
    const { intervalMs, windowMs } = platform.timeline;
    return c.json({
      intervalMs,
      windowMs,
      samples: platform.timeline.since(Number.isFinite(since) ? since : 0),
    });
  });
  // `?since=<ISO time>` returns only newer events, for clients that poll.
  app.get("/api/scale-events", (c) => {
    const since = c.req.query("since");
    const events = platform.recentScaleEvents().filter((e) => !since || e.time > since);
    return c.json({ events });
  });
  // The dashboard: the page at /, its live feed and controls (platform/dashboard).
  app.route("/", createDashboardRoutes(dashboardDeps(platform, options.token)));
  return app;
}

export function startStatusServer(
  platform: Platform,
  port: number,
  hostname: string,
  options: StatusAppOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: createStatusApp(platform, { hostname, ...options }).fetch, port, hostname },
      (info) =>
        resolve({
          port: info.port,
          // The dashboard's event streams never end by themselves: close them with the server.
          close: () =>
            new Promise((r) => {
              server.close(() => r());
              server.closeAllConnections();
            }),
        }),
    ) as Server;
    server.once("error", reject);
  });
}

/** `?limit`: an integer 1..MAX_DLQ_LIMIT (default DEFAULT_DLQ_LIMIT), or what is wrong with it. */
export function parseLimit(raw: string | undefined): number | string {
  if (raw === undefined || raw === "") return DEFAULT_DLQ_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_DLQ_LIMIT)
    return `must be an integer from 1 to ${MAX_DLQ_LIMIT} (got ${JSON.stringify(raw.slice(0, 40))})`;
  return n;
}

/** The dead-letter sink's refusal or silence, as one problem+json line. */
function sinkProblem(c: Context, err: unknown): Response {
  if (!(err instanceof DeadLetterApiError)) throw err;
  const status = err.status >= 400 && err.status < 600 ? err.status : 502;
  return c.json(
    { type: "about:blank", title: "Dead-letter sink", status, detail: err.message },
    status as 400,
    { "content-type": "application/problem+json" },
  );
}

function badQuery(c: Context, field: string, message: string): Response {
  return c.json(
    {
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: `${field}: ${message}`,
      errors: [{ field, message }],
    },
    400,
    { "content-type": "application/problem+json" },
  );
}
