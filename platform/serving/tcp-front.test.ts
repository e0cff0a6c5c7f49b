/**
 * The public front over real sockets: with a shared port it steps aside while a replica is ready
 * (the kernel hands connections straight to the replica), comes back when none is, and reads the
 * replicas' busy time for the autoscaler; without one it splices every connection.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../../lib/runtime/test-http.js";
import { BUSY_TIME_METRIC } from "./replica-busy.js";
import { TcpFront } from "./tcp-front.js";
import {
  echoPortServer as replicaServer,
  listenOn as listen,
  reachesDirectly as direct,
} from "./test-sockets.js";

describe("TcpFront", () => {
  const servers: Server[] = [];
  let front: TcpFront | undefined;
  afterEach(async () => {
    await front?.close();
    front = undefined;
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });
  const make = (share: boolean) =>
    new TcpFront({
      service: "ingress",
      maxWaiting: 10,
      holdTimeoutMs: 30_000,
      onDemand: () => undefined,
      share,
      scrapeEveryMs: 10,
    });

  it("shares its port: out of the path while a replica is ready there, back in when none is", async () => {
    front = make(true);
    await front.listen(0);
    const port = front.port;
    expect(front.sharedPort).toBe(port);
    expect(front.listening).toBe(true);

    const privateSide = replicaServer();
    const sharedSide = replicaServer();
    servers.push(privateSide, sharedSide);
    const replica = { id: "0", host: "127.0.0.1", port: await listen(privateSide, 0) };
    // The replica joins the port (as serve.ts does before its readiness probe passes), then is ready.
    await listen(sharedSide, port, true);
    front.setEndpoints([replica]);
    expect(front.listening).toBe(false);
    // The kernel hands the connection to the replica: it sees the client itself.
    expect(await direct(port)).toBe(true);
    expect(await direct(port)).toBe(true);

    // The replica leaves the port and the path: the front listens again and holds what comes.
    await new Promise((resolve) => sharedSide.close(resolve));
    front.setEndpoints([]);
    await until(() => front!.listening);
    const held = direct(port);
    await until(() => front!.waiting === 1);
    // A replica is ready again, but only on its own port: the held connection is spliced to it.
    front.setEndpoints([replica]);
    expect(await held).toBe(false);
  });

  it("reads the ready replicas' busy time for the autoscaler while out of the path", async () => {
    front = make(true);
    await front.listen(0);
    const sharedSide = replicaServer();
    let seconds = 0;
    let scrapes = 0;
    const metrics = createHttpServer((_req, res) => {
      scrapes++;
      seconds += 2;
      res.end(`# TYPE ${BUSY_TIME_METRIC} counter\n${BUSY_TIME_METRIC} ${seconds}\n`);
    });
    servers.push(sharedSide, metrics);
    await listen(sharedSide, front.port, true);
    const metricsPort = await listen(metrics, 0);
    expect(front.takeConcurrency()).toBe(0);
    front.setEndpoints([{ id: "0", host: "127.0.0.1", port: 1, metricsPort }]);
    await until(() => scrapes >= 3 && front!.inFlight > 0);
    expect(front.takeConcurrency()).toBeGreaterThan(0);
    // A replica no longer ready no longer counts.
    front.setEndpoints([]);
    expect(front.inFlight).toBe(0);
  });

  it("without sharing, splices every connection to a ready replica", async () => {
    front = make(false);
    await front.listen(0);
    expect(front.sharedPort).toBeUndefined();
    const privateSide = replicaServer();
    servers.push(privateSide);
    front.setEndpoints([{ id: "0", host: "127.0.0.1", port: await listen(privateSide, 0) }]);
    expect(front.listening).toBe(true);
    expect(await direct(front.port)).toBe(false);
  });
});
