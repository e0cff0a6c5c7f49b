/**
 * Hono's bodyLimit, without its cost on the common request. Hono's middleware reads
 * `c.req.raw.body` first, and on @hono/node-server that turns the lightweight request into a full
 * fetch Request with a web stream over the socket (and the body is then read through it): about a
 * tenth of a consumer's CPU per event, measured when consumers were Hono apps (they are served on
 * node:http now: functions/consumer-runtime/consumer-http.ts). A request that declares its length
 * (no transfer-encoding) is decided from the header alone, as Hono decides it
 * (hono/dist/middleware/body-limit/index.js): over the limit is `onError`, otherwise the handler
 * runs and reads the body straight from the socket. Node's HTTP parser reads exactly the declared
 * length, never more. Only a chunked body goes through Hono's middleware, which counts the bytes as
 * they come.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";

export interface BodyLimitOptions {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}

export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const counting = honoBodyLimit(options);
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined)
      return counting(c, next);
    if (parseInt(length || "0", 10) > options.maxSize) return options.onError(c);
    await next();
  };
}
