/** The activator performs its choice over real HTTP, in and out of the request path. */
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Activator } from "./activator.js";

describe("activator (real HTTP)", () => {
  const replicas: Server[] = [];
  let activator: Activator;
  let demands = 0;

  beforeAll(async () => {
    for (const id of ["r0", "r1"]) {
      // Answers its id, and how the request reached it: a proxy that parses HTTP sends header
      // names in lower case, a spliced connection carries the client's bytes as they were.
      const server = createServer((req, res) => {
        const spliced = req.rawHeaders.includes("X-Case-Probe");
        res.end(`${id} ${spliced ? "spliced" : "proxied"}`);
      });
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
    return [r.status, (await r.text()).split(" ")[0]] as const;
  };
  /** One request on `agent`'s connection, with a header whose case tells splice from proxy. */
  const sendOn = (agent: Agent) =>
    new Promise<{ status: number; body: string; connection: string | undefined }>(
      (resolve, reject) => {
        const req = request(activator.url, { agent, headers: { "X-Case-Probe": "1" } }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () =>
            resolve({ status: res.statusCode!, body, connection: res.headers.connection }),
          );
        });
        req.on("error", reject);
        req.end();
      },
    );
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

  it("out of the path a connection goes to a replica of its own, its bytes untouched", async () => {
    activator.setActivatorInPath(false);
    // containerConcurrency 1: each replica takes one connection; requests on it stay with it.
    const a = new Agent({ keepAlive: true, maxSockets: 1 });
    const b = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await sendOn(a);
    const second = await sendOn(b);
    expect(first.body).toMatch(/^r\d spliced$/);
    expect(second.body).toMatch(/^r\d spliced$/);
    expect(first.body).not.toBe(second.body);
    expect((await sendOn(a)).body).toBe(first.body);

    // Both slots are taken by live connections: a third is served over HTTP and waits for one.
    const c = new Agent({ keepAlive: true, maxSockets: 1 });
    const third = sendOn(c);
    await expect.poll(() => activator.waiting).toBe(1);
    a.destroy();
    const answer = await third;
    expect(answer.body).toBe(`${first.body.split(" ")[0]} proxied`);
    // A slot is free again, so that connection is closed for the next request to be spliced.
    expect(answer.connection).toBe("close");
    expect((await sendOn(c)).body).toBe(`${first.body.split(" ")[0]} spliced`);
    b.destroy();
    c.destroy();
  });

  it("back in the path, new connections are served over HTTP", async () => {
    activator.setActivatorInPath(true);
    const agent = new Agent({ keepAlive: false });
    expect((await sendOn(agent)).body).toMatch(/^r\d proxied$/);
  });
});
