/**
 * Who may change state through the control API. Two doors, one token (the state directory's
 * `control-token`, mode 0600):
 * - the CLI sends `Authorization: Bearer <token>`;
 * - a browser cannot read that file, so, as Jupyter does, `npm start` prints a link with
 *   `?token=<token>`; the page exchanges it once for an HttpOnly, SameSite=Strict cookie (a value
 *   derived from the token, not the token) and redirects to a URL without it.
 *
 * A cookie rides along on requests other pages make too, and SameSite does not help between two
 * ports of 127.0.0.1 (they are the same *site*): so a call carrying only the cookie must also
 * carry an `Origin` naming this very server, which a page from elsewhere cannot forge (CSRF).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { HttpError, problemResponse } from "../../lib/http-problem.js";
import { authorized } from "../control-token.js";

/** A week: long enough to survive `npm start` restarts (the token stays in the state directory). */
const SESSION_MAX_AGE_S = 7 * 24 * 3600;

export interface SessionAuth {
  /** Per token, so two platforms on one machine (tests do that) keep their own cookies. */
  readonly cookieName: string;
  /** Whether `given` is the control token (constant time). */
  isToken(given: string | undefined): boolean;
  /** Whether the request carries a valid session cookie. */
  hasSession(c: Context): boolean;
  /** `Set-Cookie` values that log a browser in and out. */
  loginCookie(): string;
  logoutCookie(): string;
}

export function createSessionAuth(token: string): SessionAuth {
  const cookieName = `leveler_session_${createHash("sha256").update(`leveler cookie name\0${token}`).digest("hex").slice(0, 8)}`;
  const session = createHmac("sha256", token).update("leveler dashboard session v1").digest("hex");
  return {
    cookieName,
    isToken: (given) => given !== undefined && equal(given, token),
    hasSession: (c) => {
      const value = getCookie(c, cookieName);
      return value !== undefined && equal(value, session);
    },
    loginCookie: () =>
      `${cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}`,
    logoutCookie: () => `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
  };
}

/** Whether `Origin` names the server the request came to (scheme http(s), same host and port). */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    const from = new URL(origin);
    return (
      (from.protocol === "http:" || from.protocol === "https:") &&
      from.host === new URL(`${from.protocol}//${host}`).host
    );
  } catch {
    return false;
  }
}

export type ControlVerdict =
  { ok: true; via: "bearer" | "cookie" } | { ok: false; status: 401 | 403; detail: string };

/** The decision for one state-changing request. */
export function checkControl(c: Context, token: string, auth: SessionAuth): ControlVerdict {
  if (authorized(c.req.header("authorization"), token)) return { ok: true, via: "bearer" };
  if (auth.hasSession(c)) {
    if (sameOrigin(c.req.header("origin"), c.req.header("host")))
      return { ok: true, via: "cookie" };
    return {
      ok: false,
      status: 403,
      detail:
        "a dashboard session's calls must come from the dashboard itself (an Origin header naming this server); refused as a cross-site request",
    };
  }
  return {
    ok: false,
    status: 401,
    detail:
      "this call changes state: send Authorization: Bearer <token>; the token is in the state directory (control-token). In a browser, open the dashboard link `npm start` prints (/?token=...)",
  };
}

/** Reads stay open on 127.0.0.1; anything else under the path needs the token or a same-origin session. */
export function controlAuth(
  token: string,
  auth: SessionAuth = createSessionAuth(token),
): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const verdict = checkControl(c, token, auth);
    if (!verdict.ok) {
      return problemResponse(
        new HttpError(
          verdict.status,
          verdict.status === 401 ? "Unauthorized" : "Forbidden",
          verdict.detail,
          [],
          verdict.status === 401 ? { "www-authenticate": "Bearer" } : {},
        ),
        c.req.path,
      );
    }
    await next();
  };
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
