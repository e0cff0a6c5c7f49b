/** The platform's HTTP API: `GET /api/status`. Later issues add to the document; keep it stable. */
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Platform } from "./platform.js";
import { createPlatformMetrics } from "./platform-metrics.js";

export function createStatusApp(platform: Platform): Hono {
  const app = new Hono();
  const metrics = createPlatformMetrics({ functions: () => platform.functionGauges() });
  app.get("/metrics", async (c) => c.text(await metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }));
  app.get("/api/status", async (c) => c.json(await platform.status()));
  // `?since=<ISO time>` returns only newer events, for clients that poll.
  app.get("/api/scale-events", (c) => {
    const since = c.req.query("since");
    const events = platform.recentScaleEvents().filter((e) => !since || e.time > since);
    return c.json({ events });
  });
  return app;
}

export function startStatusServer(platform: Platform, port: number, hostname: string): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: createStatusApp(platform).fetch, port, hostname }, (info) =>
      resolve({ port: info.port, close: () => new Promise((r) => (server).close(() => r())) }),
    ) as Server;
    server.once("error", reject);
  });
}
