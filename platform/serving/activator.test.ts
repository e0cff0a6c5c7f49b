/** The activator performs its choice over real HTTP, in and out of the request path. */
import { Agent, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Activator } from "./activator.js";
import { requestOn, until } from "../../lib/runtime/test-http.js";
import { echoPortServer, listenOn, reachesDirectly } from "./test-sockets.js";

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
  const sendOn = (agent: Agent) => requestOn(activator.url, agent, { "X-Case-Probe": "1" });
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

    // Both replicas hold a spliced connection: a third is served over HTTP, at once, since
    // neither connection carries a request (an idle connection holds no slot).
    const c = new Agent({ keepAlive: true, maxSockets: 1 });
    const third = await sendOn(c);
    expect(third.body).toMatch(/^r\d proxied$/);
    expect(third.connection).not.toBe("close");
    // A connection slot frees: that connection is closed for its next request to be spliced.
    a.destroy();
    await expect.poll(async () => (await sendOn(c)).connection).toBe("close");
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

describe("activator out of the path: containerConcurrency bounds requests, not connections", () => {
  // One replica with containerConcurrency 1 that answers only when the test lets it, so what is
  // at the replica at once is known, not raced.
  const held: { tag: string; answer: () => void }[] = [];
  let atOnce = 0;
  let mostAtOnce = 0;
  let replica: Server;
  let activator: Activator;

  beforeAll(async () => {
    replica = createServer((req, res) => {
      atOnce++;
      mostAtOnce = Math.max(mostAtOnce, atOnce);
      const spliced = req.rawHeaders.includes("X-Tag");
      held.push({
        tag: String(req.headers["x-tag"]),
        answer: () => {
          atOnce--;
          res.end(spliced ? "spliced" : "proxied");
        },
      });
    });
    await new Promise<void>((resolve) => replica.listen(0, "127.0.0.1", resolve));
    activator = new Activator({
      service: "payment",
      containerConcurrency: 1,
      maxWaiting: 10,
      holdTimeoutMs: 60_000,
      onDemand: () => undefined,
    });
    await activator.listen();
    activator.setEndpoints([
      { id: "r0", host: "127.0.0.1", port: (replica.address() as AddressInfo).port },
    ]);
    activator.setActivatorInPath(false);
  });

  afterAll(async () => {
    await activator.close();
    replica.closeAllConnections();
    await new Promise((r) => replica.close(r));
  });

  const send = async (agent: Agent, tag: string) =>
    (await requestOn(activator.url, agent, { "X-Tag": tag })).body;
  /** The request tagged `tag` has reached the replica: let it answer. */
  const answer = async (tag: string) => {
    await expect.poll(() => held.map((h) => h.tag)).toContain(tag);
    held
      .splice(
        held.findIndex((h) => h.tag === tag),
        1,
      )[0]!
      .answer();
  };

  it("serves a request over HTTP while the replica's spliced connection is idle, and keeps the spliced request waiting while that one is at the replica", async () => {
    const spliced = new Agent({ keepAlive: true, maxSockets: 1 });
    const other = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // The first connection is spliced and holds the replica's one connection slot.
      const s1 = send(spliced, "s1");
      await answer("s1");
      expect(await s1).toBe("spliced");

      // It is idle now: a second connection, served over HTTP, reaches the replica. (Before,
      // the idle connection held the slot and this request waited until the connection closed:
      // in a bench, until the Trigger's 30 s timeout.)
      const h1 = send(other, "h1");
      await expect.poll(() => held.map((h) => h.tag)).toEqual(["h1"]);

      // The spliced connection's next request waits in the replica's line, not at the replica.
      const s2 = send(spliced, "s2");
      await expect.poll(() => activator.waiting).toBe(1);
      expect(held.map((h) => h.tag)).toEqual(["h1"]);
      await answer("h1");
      expect(await h1).toBe("proxied");
      await answer("s2");
      expect(await s2).toBe("spliced");

      // And the other way round: a request over HTTP waits while a spliced one is at the replica.
      const s3 = send(spliced, "s3");
      await expect.poll(() => held.map((h) => h.tag)).toEqual(["s3"]);
      const h2 = send(other, "h2");
      await expect.poll(() => activator.waiting).toBe(1);
      await answer("s3");
      await answer("h2");
      expect([await s3, await h2]).toEqual(["spliced", "proxied"]);
      expect(mostAtOnce).toBe(1);
      expect(activator.waiting).toBe(0);
      expect(activator.inFlight).toBe(0);
    } finally {
      spliced.destroy();
      other.destroy();
    }
  });
});

describe("activator sharing its address (SO_REUSEPORT)", () => {
  const servers: Server[] = [];
  let activator: Activator | undefined;
  afterAll(async () => {
    await activator?.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  it("listens while in the path or with no replica ready, and leaves the address to the replicas otherwise", async () => {
    activator = new Activator({
      service: "order",
      containerConcurrency: 1,
      maxWaiting: 10,
      holdTimeoutMs: 60_000,
      onDemand: () => undefined,
      share: true,
    });
    await activator.listen();
    const port = activator.port;
    expect(activator.sharedPort).toBe(port);
    // A replica: its own port, and the shared one it joins before it is ready.
    const own = echoPortServer();
    const shared = echoPortServer();
    servers.push(own, shared);
    const replica = { id: "0", host: "127.0.0.1", port: await listenOn(own, 0) };
    await listenOn(shared, port, true);

    activator.setEndpoints([replica]);
    // Still in the path (Knative's proxy mode until the autoscaler says otherwise): it listens.
    expect(activator.listening).toBe(true);
    activator.setActivatorInPath(false);
    expect(activator.listening).toBe(false);
    expect(await reachesDirectly(port)).toBe(true);
    // Back in the path (on the way to zero): it listens again beside the replica.
    activator.setActivatorInPath(true);
    await until(() => activator!.listening);
  });
});
