/** serve(): the probes Knative calls, answered before the function's listener; draining. */
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { serve, type RunningFunction } from "./serve.js";

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
});
