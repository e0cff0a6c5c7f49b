import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { controlAuth, createSessionAuth, sameOrigin } from "./auth.js";
import { createDashboardRoutes } from "./routes.js";

const TOKEN = "a".repeat(64);
const HOST = "127.0.0.1:8090";
const ORIGIN = `http://${HOST}`;

/** The status server's arrangement: the guard on /api/*, then the dashboard's routes and a state-changing call. */
function app() {
  const a = new Hono();
  a.use("/api/*", controlAuth(TOKEN));
  a.post("/api/change", (c) => c.json({ changed: true }));
  a.route(
    "/",
    createDashboardRoutes({
      token: TOKEN,
      timeline: { intervalMs: 250, windowMs: 300_000, since: () => [] },
      telemetryConfigFile: "/nonexistent/config.yaml",
      distDir: "/nonexistent",
      ingressUrl: () => undefined,
    }),
  );
  return a;
}

async function login(): Promise<string> {
  const r = await app().request(`/?token=${TOKEN}`, { headers: { host: HOST } });
  expect(r.status).toBe(303);
  expect(r.headers.get("location")).toBe("/");
  const cookie = r.headers.get("set-cookie")!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(cookie).toMatch(/Path=\//);
  expect(cookie).not.toContain(TOKEN);
  return cookie.split(";")[0]!;
}

describe("dashboard login and the control API's doors", () => {
  it("exchanges the link's token for a session cookie and drops the token from the address", async () => {
    const cookie = await login();
    const page = await app().request("/", { headers: { host: HOST, cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-logged-in="true"');
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("refuses a wrong token: no cookie, and the page says why", async () => {
    const r = await app().request("/?token=nope", { headers: { host: HOST } });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/?login=failed");
    expect(r.headers.get("set-cookie")).toBeNull();
    const page = await app().request("/?login=failed", { headers: { host: HOST } });
    const html = await page.text();
    expect(html).toContain('data-logged-in="false"');
    expect(html).toContain("not this platform's control token");
  });

  it("lets state-changing calls through with the Bearer token, no Origin needed (the CLI)", async () => {
    const r = await app().request("/api/change", {
      method: "POST",
      headers: { host: HOST, authorization: `Bearer ${TOKEN}` },
    });
    expect(r.status).toBe(200);
  });

  it("lets them through with the cookie and a same-origin Origin", async () => {
    const cookie = await login();
    const r = await app().request("/api/change", {
      method: "POST",
      headers: { host: HOST, cookie, origin: ORIGIN },
    });
    expect(r.status).toBe(200);
  });

  it("refuses the cookie without Origin, or from another origin (another port of 127.0.0.1 too): 403", async () => {
    const cookie = await login();
    for (const origin of [undefined, "http://127.0.0.1:3000", "http://evil.example", "null"]) {
      const r = await app().request("/api/change", {
        method: "POST",
        headers: { host: HOST, cookie, ...(origin ? { origin } : {}) },
      });
      expect(r.status, String(origin)).toBe(403);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      expect(((await r.json()) as { detail: string }).detail).toMatch(/cross-site/);
    }
  });

  it("answers 401 without credentials, with a wrong token, or with a forged cookie", async () => {
    const auth = createSessionAuth(TOKEN);
    for (const headers of [
      {},
      { authorization: "Bearer wrong" },
      { cookie: `${auth.cookieName}=forged`, origin: ORIGIN },
      { cookie: `${auth.cookieName}=${TOKEN}`, origin: ORIGIN },
    ]) {
      const r = await app().request("/api/change", {
        method: "POST",
        headers: { host: HOST, ...headers },
      });
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe("Bearer");
      expect(((await r.json()) as { detail: string }).detail).toMatch(/Bearer <token>.*\?token=/);
    }
  });

  it("keeps reads open", async () => {
    expect((await app().request("/api/sampling", { headers: { host: HOST } })).status).toBe(200);
    expect((await app().request("/", { headers: { host: HOST } })).status).toBe(200);
  });

  it("logs in from the page's form only when the form comes from the page", async () => {
    const form = (token: string) => new URLSearchParams({ token }).toString();
    const headers = { host: HOST, "content-type": "application/x-www-form-urlencoded" };
    const good = await app().request("/login", {
      method: "POST",
      headers: { ...headers, origin: ORIGIN },
      body: form(` ${TOKEN}\n`),
    });
    expect(good.status).toBe(303);
    expect(good.headers.get("set-cookie")).toContain(createSessionAuth(TOKEN).cookieName);
    const wrong = await app().request("/login", {
      method: "POST",
      headers: { ...headers, origin: ORIGIN },
      body: form("nope"),
    });
    expect(wrong.headers.get("location")).toBe("/?login=failed");
    const foreign = await app().request("/login", {
      method: "POST",
      headers: { ...headers, origin: "http://evil.example" },
      body: form(TOKEN),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
  });

  it("logs out by expiring the cookie", async () => {
    const r = await app().request("/logout", {
      method: "POST",
      headers: { host: HOST, origin: ORIGIN },
    });
    expect(r.status).toBe(303);
    expect(r.headers.get("set-cookie")).toMatch(/Max-Age=0/);
  });

  it("gives each token its own cookie name, so two platforms on one machine keep their sessions", () => {
    expect(createSessionAuth("x".repeat(64)).cookieName).not.toBe(
      createSessionAuth(TOKEN).cookieName,
    );
  });

  it("compares origins by scheme, host and port", () => {
    expect(sameOrigin("http://127.0.0.1:8090", "127.0.0.1:8090")).toBe(true);
    expect(sameOrigin("http://localhost:8090", "LOCALHOST:8090")).toBe(true);
    expect(sameOrigin("http://127.0.0.1", "127.0.0.1:80")).toBe(true);
    expect(sameOrigin("http://127.0.0.1:8091", "127.0.0.1:8090")).toBe(false);
    expect(sameOrigin("file://", "127.0.0.1:8090")).toBe(false);
    expect(sameOrigin("null", "127.0.0.1:8090")).toBe(false);
    expect(sameOrigin(undefined, "127.0.0.1:8090")).toBe(false);
  });
});
