/** The activator performs its choice over real HTTP, in and out of the request path. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Activator } from "./activator.js";

describe("activator (real HTTP)", () => {
  const replicas: Server[] = [];
  let activator: Activator;
  let demands = 0;

  beforeAll(async () => {
    for (const id of ["r0", "r1"]) {
      const server = createServer((_req, res) => res.end(id));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      replicas.push(server);
    }
    activator = new Activator({
      service: "order",
      containerConcurrency: 1,
      maxWaiting: 1,
      holdTimeoutMs: 60_000,
      onDemand: () => demands++,
    });
    await activator.listen();
  });

  afterAll(async () => {
    await activator.close();
    for (const s of replicas) await new Promise((r) => s.close(r));
  });

  const send = async () => {
    const r = await fetch(activator.url);
    return [r.status, await r.text()] as const;
  };
  const endpoints = () =>
    replicas.map((s, i) => ({
      id: `r${i}`,
      host: "127.0.0.1",
      port: (s.address() as AddressInfo).port,
    }));

  it("at zero, in the path: holds one request, refuses the next with 503 + Retry-After", async () => {
    const held = fetch(activator.url);
    await expect.poll(() => activator.waiting).toBe(1);
    expect(demands).toBe(1);
    const refused = await fetch(activator.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.text()).toMatch(/1 requests already wait for order/);
    activator.setEndpoints(endpoints());
    expect((await held).status).toBe(200);
  });

  it("in the path the least busy replica serves (one at a time: always the first)", async () => {
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await send())[1]);
    expect(got).toEqual(["r0", "r0", "r0", "r0"]);
  });

  it("out of the path the replicas take turns", async () => {
    activator.setActivatorInPath(false);
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await send())[1]);
    expect(new Set(got)).toEqual(new Set(["r0", "r1"]));
    expect(got[0]).not.toBe(got[1]);
    expect(got[1]).not.toBe(got[2]);
  });
});
