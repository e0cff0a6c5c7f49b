/**
 * A Hono app as the request listener serve() runs (through @hono/node-server), with its
 * middleware (tracing) around the app's requests.
 *
 * Only the functions built on Hono import this: @hono/node-server reads the global `Request` and
 * `Response` as it loads, which loads Node's fetch implementation (undici), and that is ~20 ms of
 * every cold start for a function that never needs it (a consumer: consumer-http.ts).
 */
import { getRequestListener } from "@hono/node-server";
import { Hono, type MiddlewareHandler } from "hono";
import type { RequestListener } from "./serve.js";

export function honoListener(app: Hono, middleware?: MiddlewareHandler): RequestListener {
  const root = new Hono();
  if (middleware) root.use(middleware);
  root.route("/", app);
  const listener = getRequestListener(root.fetch);
  // It answers its own failures (500); the promise only says when it is done.
  return (req, res) => void listener(req, res);
}
