import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { allowedHosts, hostAllowed, hostGuard } from "./host-guard.js";

describe("the Host check against DNS rebinding", () => {
  const loopback = allowedHosts("127.0.0.1");

  it.each([
    ["127.0.0.1:8090", true],
    ["localhost:8090", true],
    ["LOCALHOST:8090", true],
    ["[::1]:8090", true],
    [undefined, true], // no browser omits Host
    ["127.0.0.1:8091", false], // another port: another server
    ["127.0.0.1", false], // port 80 implied
    ["rebind.example:8090", false],
    ["localhost.rebind.example:8090", false],
    ["127.0.0.1.nip.io:8090", false],
    ["10.0.0.5:8090", false], // an address we do not listen on
    ["127.0.0.1:8090@evil", false],
    ["", false],
  ])("Host %j → %s", (host, ok) => {
    expect(hostAllowed(host, loopback, 8090)).toBe(ok);
  });

  it("answers to a specific listen address, and to any IP literal when listening on all", () => {
    expect(hostAllowed("192.168.1.7:8090", allowedHosts("192.168.1.7"), 8090)).toBe(true);
    expect(hostAllowed("192.168.1.8:8090", allowedHosts("192.168.1.7"), 8090)).toBe(false);
    expect(hostAllowed("[::1]:8090", allowedHosts("::1"), 8090)).toBe(true);
    const all = allowedHosts("0.0.0.0");
    expect(hostAllowed("192.168.1.8:8090", all, 8090)).toBe(true);
    expect(hostAllowed("[fe80::1]:8090", all, 8090)).toBe(true);
    expect(hostAllowed("rebind.example:8090", all, 8090)).toBe(false);
  });

  it("refuses a foreign Host with 421 problem+json before any route runs", async () => {
    let reached = false;
    const app = new Hono();
    app.use("*", hostGuard());
    app.get("/api/dlq", (c) => {
      reached = true;
      return c.json({ deadLetters: ["secret"] });
    });
    const refused = await app.request("/api/dlq", { headers: { host: "rebind.example:8090" } });
    expect(refused.status).toBe(421);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(await refused.json()).toMatchObject({ status: 421, title: "Misdirected Request" });
    expect(reached).toBe(false);
    const served = await app.request("/api/dlq", { headers: { host: "localhost:8090" } });
    expect(served.status).toBe(200);
  });
});
