/**
 * The local platform's doors against other users of the machine and other web pages (issue 18):
 * a real platform, real processes, real HTTP.
 */
import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "./harness.js";

/** A GET with a `Host` of our choosing, as a rebinding page's browser would send it. */
function get(url: string, host: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () =>
        resolve({ status: res.statusCode!, type: res.headers["content-type"] ?? "", body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Whether a TCP connection to host:port is accepted, or refused (nothing listens there). */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (err: NodeJS.ErrnoException) =>
      err.code === "ECONNREFUSED" ? resolve(false) : reject(err),
    );
  });
}

/** The local addresses of listening TCP sockets on a port, from /proc/net/tcp{,6} (Linux). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // st 0A = LISTEN
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A")
      .map((f) => f[1]!.split(":")[0]!),
  );
}

/** A process's environment, from /proc (Linux). */
function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const i = entry.indexOf("=");
    if (i > 0) out[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return out;
}

describe("local doors", () => {
  let t: TestPlatform;
  let base: string;
  let port: number;

  beforeAll(async () => {
    t = await startTestPlatform({
      env: {
        DOORS_TEST_SECRET_TOKEN: "must-not-leak",
        DOORS_TEST_NAMED: "passed",
        LEVELER_PASS_ENV: "DOORS_TEST_NAMED",
      },
    });
    base = new URL(t.statusUrl).origin;
    port = Number(new URL(t.statusUrl).port);
  });
  afterAll(() => t?.stop());

  it("the status server and dashboard answer only to their own address (DNS rebinding)", async () => {
    for (const path of ["/api/status", "/api/dlq", "/api/timeline", "/", "/metrics"]) {
      const refused = await get(base + path, `rebind.example:${port}`);
      expect(refused.status, path).toBe(421);
      expect(refused.type).toBe("application/problem+json");
      expect(refused.body).not.toContain("deadLetters");
    }
    expect((await get(`${base}/api/status`, `127.0.0.1:${port + 1}`)).status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      expect((await get(`${base}/api/status`, host)).status, host).toBe(200);
  });

  it("the public ingress listens on loopback only: another address of the machine is refused", async () => {
    const ingressPort = Number(new URL(t.ingressUrl).port);
    expect(await reachable("127.0.0.1", ingressPort)).toBe(true);
    // 127.0.0.1 as /proc writes it (little-endian hex); not 00000000 (every interface).
    expect(listeningAddresses(ingressPort)).toEqual(["0100007F"]);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === "IPv4")
      .map((a) => a!.address);
    for (const address of others)
      expect(await reachable(address, ingressPort), address).toBe(false);
  });

  it("the dead-letter listing is capped: never the whole queue", async () => {
    // The dead-letters sink's parked queue (the Queue manifest, per test instance).
    const dlq = t.platform.plan.queues[0]!.queueName;
    const connection = await amqp.connect(t.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      for (let i = 0; i < 150; i++)
        channel.sendToQueue(dlq, Buffer.from("{}"), {
          headers: {
            specversion: "1.0",
            id: `dl-${i}`,
            type: "com.example.doors",
            source: "/doors",
          },
        });
      await channel.waitForConfirms();
      await channel.close();
    } finally {
      await connection.close();
    }
    const listed = async (query: string) => {
      const r = await fetch(`${base}/api/dlq${query}`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const byDefault = await listed("");
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.deadLetters).toHaveLength(100);
    expect((await listed("?limit=7")).body.deadLetters).toHaveLength(7);
    const tooMany = await listed("?limit=100000");
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ errors: [{ field: "limit" }] });
  });

  it("the state directory is 0700", () => {
    expect(statSync(t.platform.config.stateDir).mode & 0o777).toBe(0o700);
  });

  it("replicas and dispatchers get only the environment they need, plus what the user names", async () => {
    const status = await t.status();
    const pids = [
      ...status.functions.flatMap((f) => f.processes.map((p) => p.pid)),
      ...status.triggers.map((tr) => tr.dispatcher.pid as number | undefined),
    ].filter((pid): pid is number => typeof pid === "number");
    expect(pids.length).toBeGreaterThan(1);
    for (const pid of pids) {
      const env = environOf(pid);
      expect(env.DOORS_TEST_SECRET_TOKEN, `pid ${pid}`).toBeUndefined();
      expect(env.DOORS_TEST_NAMED).toBe("passed");
      expect(env.AMQP_URL).toBeDefined();
      expect(env.PATH).toBeDefined();
    }
  });
});
