/**
 * The status server answers only requests addressed to it by its own name. A web page can make
 * its own name resolve to 127.0.0.1 (DNS rebinding) and then, being "same origin" with itself,
 * read whatever a GET returns here: dead letters, status, the live stream. Its requests still
 * carry its name in `Host`, and that is what is checked, on every route.
 */
import { isIP } from "node:net";
import type { MiddlewareHandler } from "hono";

/** Host names that always mean this machine's loopback, as a browser writes them in `Host`. */
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

export interface HostGuardOptions {
  /** The address the server listens on (default 127.0.0.1). */
  listenHost?: string;
}

/**
 * Which `Host` names this server answers to. A page elsewhere can make its own name resolve to
 * 127.0.0.1 (DNS rebinding) and then read anything a GET returns; its requests still carry its
 * name in `Host`. So: the loopback names, the listen address, and, when listening on every
 * interface (0.0.0.0, ::), any IP literal (an address is not a name, so it cannot be rebound).
 */
export function allowedHosts(listenHost = "127.0.0.1"): {
  names: string[];
  anyAddress: boolean;
} {
  const own = bracketed(listenHost.toLowerCase());
  const anyAddress = ["0.0.0.0", "[::]", ""].includes(own);
  return { names: [...new Set([...LOOPBACK_HOSTS, ...(anyAddress ? [] : [own])])], anyAddress };
}

/**
 * Whether a `Host` header names this server, with the port the connection came to (when known).
 * No `Host` at all passes: every browser sends one, so its absence is no rebinding page (and
 * Node itself refuses HTTP/1.1 requests without one).
 */
export function hostAllowed(
  host: string | undefined,
  allowed: { names: readonly string[]; anyAddress: boolean },
  port: number | undefined,
): boolean {
  if (host === undefined) return true;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!match) return false;
  const name = match[1]!.toLowerCase();
  const known =
    allowed.names.includes(name) ||
    (allowed.anyAddress && isIP(name.replace(/^\[|\]$/g, "")) !== 0);
  // A browser leaves the port out only when it is the scheme's default.
  return known && (port === undefined || Number(match[2] ?? 80) === port);
}

/** Refuses (421 Misdirected Request, problem+json) any request whose `Host` is not this server. */
export function hostGuard(options: HostGuardOptions = {}): MiddlewareHandler {
  const allowed = allowedHosts(options.listenHost);
  return async (c, next) => {
    const host = c.req.header("host");
    // @hono/node-server puts the Node request in c.env; app.request() in tests has no socket.
    const env = c.env as { incoming?: { socket?: { localPort?: number } } } | undefined;
    const port = env?.incoming?.socket?.localPort;
    if (!hostAllowed(host, allowed, port)) {
      const names = `${allowed.names.join(", ")}${allowed.anyAddress ? " or an IP address" : ""}`;
      return c.json(
        {
          type: "about:blank",
          title: "Misdirected Request",
          status: 421,
          detail: `this server answers only to ${names}${port ? ` with port ${port}` : ""} in the Host header, got ${JSON.stringify(host?.slice(0, 100))}: a page under another name may not read it (DNS rebinding)`,
        },
        421,
        { "content-type": "application/problem+json" },
      );
    }
    await next();
  };
}

function bracketed(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}
