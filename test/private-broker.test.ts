/**
 * The private RabbitMQ node the platform starts when none answers (platform/rabbitmq.ts): for this
 * user alone. Started on ports of its own, so it never touches the machine's RabbitMQ at 5672.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erlangSchedulerThreads } from "../bench/lib/rabbitmq-node.js";
import { freePort } from "../platform/ports.js";
import {
  canConnect,
  ensureBroker,
  privateNodeEnv,
  privateNodePaths,
  readPrivateCredentials,
  type EnsuredBroker,
} from "../platform/rabbitmq.js";

/** Addresses `pid` listens on over TCP ("127.0.0.1:5672", "0.0.0.0:25672", "[::]:4369"), from /proc. */
function listening(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const file of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${pid}/net/${file}`, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue; // 0A: LISTEN
      const [hex, portHex] = f[1]!.split(":");
      const port = parseInt(portHex!, 16);
      if (file === "tcp") {
        const ip = hex!
          .match(/../g)!
          .map((b) => parseInt(b, 16))
          .reverse()
          .join(".");
        out.push(`${ip}:${port}`);
      } else {
        const v4mapped = /^0{16}FFFF0000(.{8})$/i.exec(hex!);
        const ip =
          hex === "0".repeat(32) ? "::" : hex === "0".repeat(24) + "01000000" ? "::1" : hex!;
        out.push(
          v4mapped
            ? `${v4mapped[1]!
                .match(/../g)!
                .map((b) => parseInt(b, 16))
                .reverse()
                .join(".")}:${port}`
            : `[${ip}]:${port}`,
        );
      }
    }
  }
  return out;
}

describe("the private RabbitMQ node", () => {
  let stateDir: string;
  let port: number;
  let broker: EnsuredBroker;

  beforeAll(async () => {
    port = await freePort();
    stateDir = mkdtempSync(join(tmpdir(), "leveler-private-"));
    broker = await ensureBroker(`amqp://guest:guest@127.0.0.1:${port}`, {
      stateDir,
      mayStartPrivate: true,
      schedulers: 1,
      log: () => undefined,
    });
  }, 120_000);
  const nodePid = () =>
    Number(readFileSync(join(privateNodePaths(stateDir).base, "rabbitmq.pid"), "utf8"));
  afterAll(() => broker?.stop(), 60_000);

  it("has its own generated credentials, kept 0600 in the state directory; guest is refused", async () => {
    const url = new URL(broker.url);
    expect(url.username).toBe("leveler");
    expect(url.password).toMatch(/^[0-9a-f]{48}$/);
    const file = privateNodePaths(stateDir).credentials;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      user: "leveler",
      password: url.password,
    });
    expect(await canConnect(broker.url)).toBe(true);
    expect(await canConnect(`amqp://guest:guest@127.0.0.1:${port}`)).toBe(false);
  });

  it("runs the Erlang schedulers it was given (rabbitmq-schedulers.ts)", () => {
    expect(erlangSchedulerThreads(nodePid())).toBe(1);
    const env = privateNodeEnv({ base: "/b", nodeName: "n@localhost", port: 1, distPort: 2 });
    expect(env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).not.toContain("+S");
  });

  it("listens on loopback only: AMQP and Erlang distribution", () => {
    const addresses = listening(nodePid());
    expect(addresses).toContain(`127.0.0.1:${port}`);
    expect(addresses.length).toBeGreaterThanOrEqual(2); // AMQP and distribution
    for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("asks the port mapper it may start to bind loopback too", () => {
    const env = privateNodeEnv({ base: "/b", nodeName: "n@localhost", port: 1, distPort: 2 });
    expect(env.ERL_EPMD_ADDRESS).toBe("127.0.0.1");
    expect(env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).toContain(
      "inet_dist_use_interface {127,0,0,1}",
    );
  });

  it("a second start in the same state directory finds the same credentials", async () => {
    await broker.stop();
    broker = await ensureBroker(`amqp://guest:guest@127.0.0.1:${port}`, {
      stateDir,
      mayStartPrivate: true,
      log: () => undefined,
    });
    expect(readPrivateCredentials(stateDir)?.password).toBe(new URL(broker.url).password);
    expect(await canConnect(broker.url)).toBe(true);
    // Started without a count this time: Erlang's own, one per core.
    expect(erlangSchedulerThreads(nodePid())).toBe(availableParallelism());
  }, 120_000);
});

describe("a private node whose distribution port is taken before it starts", () => {
  it("starts again on another port, saying so", async () => {
    // What happened in CI: the port was free when chosen, and another process listened on it
    // before the node took it.
    const taken = createServer();
    const takenPort = await freePort();
    await new Promise<void>((r) => taken.listen(takenPort, "127.0.0.1", r));
    const ports = [takenPort];
    const lines: string[] = [];
    const stateDir = mkdtempSync(join(tmpdir(), "leveler-private-"));
    const broker = await ensureBroker(`amqp://guest:guest@127.0.0.1:${await freePort()}`, {
      stateDir,
      mayStartPrivate: true,
      schedulers: 1,
      log: (line) => lines.push(line),
      distPort: () => Promise.resolve(ports.shift() ?? freePort()),
    });
    try {
      expect(await canConnect(broker.url)).toBe(true);
      expect(lines).toContain(
        `private RabbitMQ node: port ${takenPort} was taken meanwhile; another`,
      );
    } finally {
      await broker.stop();
      await new Promise<void>((r) => taken.close(() => r()));
    }
  }, 180_000);
});
