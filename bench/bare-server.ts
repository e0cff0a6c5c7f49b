/**
 * The baseline for the ingress benchmark: a bare Hono endpoint on the same Node HTTP adapter that
 * reads and parses the same JSON body and answers 202, publishing nothing. The ratio
 * ingress/bare says what durability (validation, CloudEvent, publisher confirm) costs.
 */
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/events/:type", async (c) => {
  const body: unknown = await c.req.json();
  if (typeof body !== "object" || body === null) return c.json({ error: "not an object" }, 400);
  return c.json({ id: randomUUID() }, 202);
});
app.post("/events", async (c) => {
  const body: unknown = await c.req.json();
  return c.json(
    Array.isArray(body) ? { ids: body.map(() => randomUUID()) } : { id: randomUUID() },
    202,
  );
});

const port = Number(process.env.PORT ?? 8081);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info) =>
  console.log(`bare server on :${info.port}`),
);
process.on("SIGTERM", () => process.exit(0));
