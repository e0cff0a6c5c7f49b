/**
 * A RabbitMQ node of the test's own (started through the platform's private-node path), so that
 * stopping the broker hurts no one else using the machine's RabbitMQ.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../platform/ports.js";
import { ensureBroker, type EnsuredBroker } from "../platform/rabbitmq.js";

export interface PrivateRabbit {
  url: string;
  stopApp(): void;
  startApp(): void;
  /** Runs `rabbitmqctl -n <node> ...args` without blocking the event loop; resolves with stdout. */
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

function rabbitmqctl(): string {
  const path = spawnSync("sh", ["-c", "command -v rabbitmqctl"], {
    encoding: "utf8",
  }).stdout.trim();
  const real = realpathSync(path);
  // Debian's wrapper switches to the rabbitmq user, whose Erlang cookie is not root's.
  const direct = join(dirname(real), "rabbitmqctl");
  return real.endsWith("rabbitmq-script-wrapper") && existsSync(direct) ? direct : path;
}

export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "leveler-rabbit-"));
  const broker: EnsuredBroker = await ensureBroker(`amqp://guest:guest@127.0.0.1:${port}`, {
    stateDir,
    mayStartPrivate: true,
    log: () => undefined,
  });
  const node = broker.privateNode!;
  const ctl = rabbitmqctl();
  const run = (command: string) =>
    execFileSync(ctl, ["-n", node, command], { stdio: "ignore", timeout: 60_000 });
  return {
    url: broker.url,
    stopApp: () => run("stop_app"),
    startApp: () => run("start_app"),
    ctl: async (...args) =>
      (await promisify(execFile)(ctl, ["-n", node, "-q", ...args], { timeout: 60_000 })).stdout,
    async stop() {
      await broker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
