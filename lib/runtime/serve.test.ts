/** serve(): the probes Knative calls, answered before the function's listener; draining. */
import { Agent } from "node:http";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { serve, type RunningFunction } from "./serve.js";
import { requestOn, until } from "./test-http.js";

describe("serve", () => {
  let running: RunningFunction | undefined;
  afterEach(async () => {
    await running?.shutdown();
    running = undefined;
  });
  const start = async (ready: () => boolean, answerWhen: Promise<void> = Promise.resolve()) => {
    const seen: string[] = [];
    let arrived!: () => void;
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
    running = await serve({
      listener: (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        arrived();
        void answerWhen.then(() => res.end("hello"));
      },
      port: 0,
      name: "t",
      limits: { host: "127.0.0.1" },
      ready,
      log: () => {},
    });
    return { url: `http://127.0.0.1:${running.port}`, seen, firstArrived };
  };

  it("answers the probes itself, never the function's listener, and readiness follows ready()", async () => {
    let ready = false;
    const { url, seen } = await start(() => ready);
    const liveness = await fetch(`${url}/health/liveness`);
    expect([liveness.status, await liveness.json()]).toEqual([200, { status: "ok" }]);
    const notReady = await fetch(`${url}/health/readiness`);
    expect([notReady.status, await notReady.json()]).toEqual([503, { status: "not ready" }]);
    ready = true;
    expect((await fetch(`${url}/health/readiness`)).status).toBe(200);
    expect(seen).toEqual([]);
    expect(await (await fetch(`${url}/x`)).text()).toBe("hello");
    expect(seen).toEqual(["GET /x"]);
  });

  it("without a host listens on every interface, IPv4 and IPv6 (a pod's case)", async () => {
    running = await serve({
      listener: (_req, res) => res.end("hello"),
      port: 0,
      name: "t",
      log: () => {},
    });
    expect(await (await fetch(`http://127.0.0.1:${running.port}/x`)).text()).toBe("hello");
    // Where the machine has IPv6 (an IPv6-only cluster's pods do), on it too: 0.0.0.0 would not.
    const ipv6 = Object.values(networkInterfaces()).some((addresses) =>
      addresses?.some((a) => a.family === "IPv6" && a.address === "::1"),
    );
    if (ipv6) expect(await (await fetch(`http://[::1]:${running.port}/x`)).text()).toBe("hello");
  });

  it("draining: an answer still being made is finished, and closes its connection", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { url, firstArrived } = await start(() => true, held);
    const inFlight = fetch(`${url}/slow`);
    await firstArrived;
    const draining = running!.shutdown();
    release();
    const answer = await inFlight;
    expect(answer.headers.get("connection")).toBe("close");
    expect(await answer.text()).toBe("hello");
    await draining;
    running = undefined;
  });
  it("counts the time requests spend in it, those in flight included, and never the probes", async () => {
    let answer!: () => void;
    const { url, firstArrived } = await start(
      () => true,
      new Promise<void>((resolve) => (answer = resolve)),
    );
    await fetch(`${url}/health/readiness`);
    await fetch(`${url}/health/liveness`);
    expect(running!.busySeconds()).toBe(0);
    const pending = fetch(`${url}/x`).then((r) => r.text());
    await firstArrived;
    const during = running!.busySeconds();
    expect(during).toBeGreaterThan(0);
    // Still in flight: it keeps adding up.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(running!.busySeconds()).toBeGreaterThan(during);
    answer();
    expect(await pending).toBe("hello");
    // Over: what it spent stays, and grows no more.
    const after = running!.busySeconds();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(running!.busySeconds()).toBe(after);
  });

  it("with containerConcurrency, keeps the bound itself: the rest wait in order, past ten times it 503", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    running = await serve({
      listener: (req, res) => {
        seen.push(req.url!);
        void (req.url === "/0" ? held : Promise.resolve()).then(() => res.end(req.url));
      },
      port: 0,
      containerConcurrency: 1,
      name: "t",
      limits: { host: "127.0.0.1" },
      log: () => {},
    });
    const url = `http://127.0.0.1:${running.port}`;
    /** Over a keep-alive agent, so that the server's choice of connection header shows. */
    const agent = new Agent({ keepAlive: true });
    const get = (path: string) => requestOn(path, agent);
    const first = fetch(`${url}/0`).then((r) => r.text());
    await until(() => seen.length === 1);
    // Ten wait (10 × containerConcurrency) and reach the listener only in turn; the eleventh is
    // turned away as the queue-proxy turns it away.
    const waiting = Array.from({ length: 10 }, (_, i) => get(`${url}/${i + 1}`));
    await until(() => running!.inFlight() === 11);
    const turnedAway = await fetch(`${url}/11`);
    expect(seen).toEqual(["/0"]);
    expect([turnedAway.status, await turnedAway.text()]).toEqual([
      503,
      "pending request queue full\n",
    ]);
    release();
    expect(await first).toBe("/0");
    const answers = await Promise.all(waiting);
    expect(answers.map((a) => a.body)).toEqual(waiting.map((_, i) => `/${i + 1}`));
    // Each one that waited closes its connection after the answer (the next may reach another
    // replica); one served at once keeps it.
    expect(answers.every((a) => a.connection === "close")).toBe(true);
    expect(await get(`${url}/12`)).toEqual({ status: 200, body: "/12", connection: "keep-alive" });
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => `/${i}`).filter((u) => u !== "/11"));
    agent.destroy();
  });

  describe("with a shared port (SHARED_PORT, the local platform's)", () => {
    const others: RunningFunction[] = [];
    afterEach(async () => {
      await Promise.all(others.splice(0).map((r) => r.shutdown()));
    });
    const freePort = () =>
      new Promise<number>((resolve) => {
        const probe = createServer().listen(0, "127.0.0.1", () => {
          const { port } = probe.address() as { port: number };
          probe.close(() => resolve(port));
        });
      });
    const replica = async (sharedPort: number, ready: () => boolean, lines: string[] = []) => {
      const r = await serve({
        listener: (_req, res) => res.end(`hello from ${r.port}`),
        port: 0,
        sharedPort,
        name: "t",
        limits: { host: "127.0.0.1" },
        ready,
        log: (line) => lines.push(line),
      });
      others.push(r);
      return r;
    };
    const get = (port: number, path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: "close" } });

    it("joins it at the first readiness probe that finds the function ready, with the other replicas", async () => {
      const shared = await freePort();
      let ready = false;
      const a = await replica(shared, () => ready);
      // Not before: no connection lands on a replica still starting.
      await expect(get(shared, "/x")).rejects.toThrow();
      expect((await get(a.port, "/health/readiness")).status).toBe(503);
      await expect(get(shared, "/x")).rejects.toThrow();
      ready = true;
      expect((await get(a.port, "/health/readiness")).status).toBe(200);
      expect(await (await get(shared, "/x")).text()).toBe(`hello from ${a.port}`);
      // A second replica joins the same port (SO_REUSEPORT): both are ready, and answer there.
      const b = await replica(shared, () => true);
      expect((await get(b.port, "/health/readiness")).status).toBe(200);
      const answers = new Set<string>();
      for (let i = 0; i < 40 && answers.size < 2; i++)
        answers.add(await (await get(shared, "/x")).text());
      expect(answers).toEqual(new Set([`hello from ${a.port}`, `hello from ${b.port}`]));
      // Shut down, each leaves it.
      await a.shutdown();
      await b.shutdown();
      await expect(get(shared, "/x")).rejects.toThrow();
    });

    it("stays not ready while another process holds the port without SO_REUSEPORT, and says so once per try", async () => {
      const shared = await freePort();
      const holder = createServer().listen(shared, "127.0.0.1");
      await new Promise((resolve) => holder.once("listening", resolve));
      const lines: string[] = [];
      const a = await replica(shared, () => true, lines);
      const refused = await get(a.port, "/health/readiness");
      expect([refused.status, await refused.json()]).toEqual([
        503,
        { status: "not ready: SHARED_PORT not joined" },
      ]);
      expect(lines).toEqual([
        `cannot listen on 127.0.0.1:${shared}: the port is in use (SHARED_PORT)`,
      ]);
      // Once the port is free, the next probe joins.
      await new Promise((resolve) => holder.close(resolve));
      expect((await get(a.port, "/health/readiness")).status).toBe(200);
      expect(await (await get(shared, "/x")).text()).toBe(`hello from ${a.port}`);
    });
  });
});
