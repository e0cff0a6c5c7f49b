/**
 * The dashboard's routes on the status server: the page (`/`), its bundle (`/dashboard/*` from
 * `dist/dashboard`), the login exchange, the live feed and the two controls.
 *
 * ```ts
 * app.route("/", createDashboardRoutes(dashboardDeps(platform, token)));
 * ```
 * Mounted after the status server's `/api/*` guard, which lets through only GETs and calls with
 * the Bearer token or a same-origin session (see auth.ts).
 */
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Hono, type Context } from "hono";
import { schemas } from "../../functions/events/schemas.js";
import {
  parseRatio,
  parseSamplingSwitch,
  writeSamplingSwitchFile,
} from "../../lib/runtime/sampling-switch.js";
import type { Platform } from "../platform.js";
import { localTelemetryPaths } from "../telemetry/local-switch.js";
import type { Timeline } from "../status/timeline.js";
import { createSessionAuth, sameOrigin } from "./auth.js";
import { BurstSender, burstTypes, MAX_BURST, parseBurstRequest } from "./burst.js";
import { renderPage } from "./page.js";
import { HttpError, problemResponse } from "../../lib/http-problem.js";
import { fieldError, jsonObject } from "./problem.js";
import { dashboardStream } from "./sse.js";

export interface DashboardDeps {
  token: string;
  timeline: Pick<Timeline, "intervalMs" | "windowMs" | "since">;
  /** The file every local process watches for the sampler ratio (what `leveler sampling` writes). */
  telemetryConfigFile: string;
  /** Where `dist/dashboard/app.js` and `app.css` are. */
  distDir: string;
  ingressUrl: () => string | undefined;
  /** Stream period (default 1000 ms); tests shorten it. */
  streamPeriodMs?: number;
  burstSender?: BurstSender;
}

/** What the running platform gives the dashboard. */
export function dashboardDeps(platform: Platform, token: string): DashboardDeps {
  return {
    token,
    timeline: platform.timeline,
    telemetryConfigFile: localTelemetryPaths(platform.config.stateDir).switchFile,
    distDir: platform.config.distDir,
    ingressUrl: () => platform.ingressUrl,
  };
}

const ASSET_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
};

// The page runs nothing but its own bundle, talks to nothing but this server, and may not be
// framed (its buttons change state).
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export function createDashboardRoutes(deps: DashboardDeps): Hono {
  const app = new Hono();
  const auth = createSessionAuth(deps.token);
  const types = burstTypes(schemas.map((s) => s.$id));
  const burst = deps.burstSender ?? new BurstSender({ ingressUrl: deps.ingressUrl });
  app.onError((err, c) => problemResponse(err, c.req.path));

  app.get("/", (c) => {
    const token = c.req.query("token");
    if (token !== undefined) {
      // Exchange the link's token for a session cookie, and take the token out of the address bar
      // (and so out of history and bookmarks).
      if (!auth.isToken(token)) return c.redirect("/?login=failed", 303);
      return new Response(null, {
        status: 303,
        headers: {
          location: "/",
          "set-cookie": auth.loginCookie(),
          "cache-control": "no-store",
          "referrer-policy": "no-referrer",
        },
      });
    }
    const html = renderPage({
      loggedIn: auth.hasSession(c),
      loginFailed: c.req.query("login") === "failed",
      burstTypes: types,
      maxBurst: MAX_BURST,
      configuredRatio: configuredRatio(deps.telemetryConfigFile),
    });
    return c.html(html, 200, PAGE_HEADERS);
  });

  // The page's login form, for a token pasted from the state directory.
  app.post("/login", async (c) => {
    refuseCrossSite(c);
    const form: Record<string, unknown> = await c.req.parseBody().catch(() => ({}));
    const token = typeof form.token === "string" ? form.token.trim() : undefined;
    if (!auth.isToken(token)) return c.redirect("/?login=failed", 303);
    return new Response(null, {
      status: 303,
      headers: { location: "/", "set-cookie": auth.loginCookie(), "cache-control": "no-store" },
    });
  });
  app.post("/logout", (c) => {
    refuseCrossSite(c);
    return new Response(null, {
      status: 303,
      headers: { location: "/", "set-cookie": auth.logoutCookie(), "cache-control": "no-store" },
    });
  });

  app.get("/dashboard/:file{[A-Za-z0-9_.-]+}", async (c) => {
    const file = c.req.param("file");
    const type = ASSET_TYPES[file.slice(file.lastIndexOf("."))];
    if (!type || file.startsWith(".")) return c.notFound();
    try {
      const body = await readFile(join(deps.distDir, "dashboard", file));
      return c.body(body, 200, {
        "content-type": type,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
    } catch {
      return c.text(`dashboard/${file} is not built: run npm run build`, 404);
    }
  });

  app.get("/api/dashboard/stream", (c) =>
    dashboardStream(c, {
      timeline: deps.timeline,
      burst: () => burst.status(),
      ...(deps.streamPeriodMs ? { periodMs: deps.streamPeriodMs } : {}),
    }),
  );

  // The monitoring switch, as `npx leveler sampling <ratio>` sets it: the same file, the same check.
  app.get("/api/sampling", (c) =>
    c.json({
      configured: configuredRatio(deps.telemetryConfigFile),
      configFile: deps.telemetryConfigFile,
    }),
  );
  app.post("/api/sampling", async (c) => {
    const body = await jsonObject(c);
    let samplerRatio: number;
    try {
      samplerRatio = parseRatio(body.ratio);
    } catch (err) {
      throw fieldError(400, "Bad Request", `ratio: ${(err as Error).message}`, "ratio");
    }
    writeSamplingSwitchFile(deps.telemetryConfigFile, { samplerRatio });
    return c.json({
      samplerRatio,
      configFile: deps.telemetryConfigFile,
      detail:
        "running processes apply it within a second; telemetry.samplerRatio in /api/status shows it",
    });
  });

  app.get("/api/burst", (c) => c.json({ burst: burst.status(), types, maxCount: MAX_BURST }));
  app.post("/api/burst", async (c) => {
    const request = parseBurstRequest(await jsonObject(c), types);
    return c.json({ burst: burst.start(request) }, 202);
  });
  return app;
}

/** The same-origin rule of auth.ts, for the two forms outside /api. */
function refuseCrossSite(c: Context): void {
  if (!sameOrigin(c.req.header("origin"), c.req.header("host")))
    throw new HttpError(
      403,
      "Forbidden",
      "this form may only be sent from the dashboard itself (an Origin header naming this server)",
    );
}

function configuredRatio(file: string): number | null {
  try {
    return parseSamplingSwitch(readFileSync(file, "utf8")).samplerRatio;
  } catch {
    return null;
  }
}
