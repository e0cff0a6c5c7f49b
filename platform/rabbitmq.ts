/**
 * Makes sure a RabbitMQ answers. If nothing answers at the default local address and
 * `rabbitmq-server` is installed, runs a private node for this run: its own node name, ports and
 * data under the state directory, stopped with leveler. Otherwise fails with one line that says
 * what to do.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import amqp from "amqplib";
import { redact } from "../lib/amqp-connection.js";
import { freePort } from "./ports.js";

export class BrokerSetupError extends Error {
  override readonly name = "BrokerSetupError";
}

export interface EnsuredBroker {
  url: string;
  /** Set when leveler started its own node. */
  privateNode?: string;
  stop(): Promise<void>;
}

export async function canConnect(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: timeoutMs });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

export async function ensureBroker(
  url: string,
  options: { stateDir: string; mayStartPrivate: boolean; log: (line: string) => void },
): Promise<EnsuredBroker> {
  if (await canConnect(url)) return { url, stop: () => Promise.resolve() };
  const parsed = new URL(url);
  const local = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(parsed.hostname);
  if (!options.mayStartPrivate || !local) {
    throw new BrokerSetupError(
      `RabbitMQ does not answer at ${redact(url)}; start it, or fix AMQP_URL`,
    );
  }
  const server = rabbitmqServerCommand();
  if (!server) {
    throw new BrokerSetupError(
      `RabbitMQ does not answer at ${redact(url)} and rabbitmq-server is not installed: install it (Debian/Ubuntu: apt-get install rabbitmq-server) or set AMQP_URL to a running broker`,
    );
  }
  return startPrivateNode(server, parsed, options);
}

/**
 * The `rabbitmq-server` to run. Debian's is a wrapper that, for root, re-runs the real script as
 * the `rabbitmq` user, who cannot write our state directory; run the real one beside it instead.
 */
function rabbitmqServerCommand(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v rabbitmq-server"], { encoding: "utf8" });
  if (found.status !== 0) return undefined;
  const path = found.stdout.trim();
  try {
    const real = realpathSync(path);
    if (real.endsWith("rabbitmq-script-wrapper")) {
      const direct = join(dirname(real), "rabbitmq-server");
      if (existsSync(direct)) return direct;
    }
  } catch {
    // fall back to what PATH gave
  }
  return path;
}

async function startPrivateNode(
  server: string,
  url: URL,
  options: { stateDir: string; log: (line: string) => void },
): Promise<EnsuredBroker> {
  const port = Number(url.port || 5672);
  const distPort = await freePort();
  const nodeName = `leveler-${port}@localhost`;
  const base = join(options.stateDir, "rabbitmq");
  mkdirSync(join(base, "log"), { recursive: true });
  mkdirSync(join(base, "mnesia"), { recursive: true });
  // No plugins: the system node's management plugin would want port 15672 too.
  writeFileSync(join(base, "enabled_plugins"), "[].\n");
  const logFd = openSync(join(base, "log", "stdout.log"), "a");
  options.log(
    `RabbitMQ does not answer at ${redact(url.toString())}; starting a private node ${nodeName} (data in ${base})`,
  );
  const child: ChildProcess = spawn(server, [], {
    env: {
      ...process.env,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(base, "mnesia"),
      RABBITMQ_LOG_BASE: join(base, "log"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(base, "enabled_plugins"),
      RABBITMQ_CONFIG_FILE: join(base, "rabbitmq"),
      RABBITMQ_PID_FILE: join(base, "rabbitmq.pid"),
      RABBITMQ_FEATURE_FLAGS_FILE: join(base, "feature_flags"),
      ERL_CRASH_DUMP: join(base, "log", "erl_crash.dump"),
    },
    stdio: ["ignore", logFd, logFd],
    // Its own process group: Ctrl-C reaches leveler, which stops the broker last, after the
    // functions have confirmed what they accepted.
    detached: true,
  });
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + 90_000;
  while (!(await canConnect(url.toString(), 2000))) {
    if (exited)
      throw new BrokerSetupError(
        `the private RabbitMQ node exited at start; see ${join(base, "log")}`,
      );
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new BrokerSetupError(
        `the private RabbitMQ node did not answer within 90 s; see ${join(base, "log")}`,
      );
    }
    await sleep(500);
  }
  options.log(`private RabbitMQ node ${nodeName} is up on port ${port}`);
  return {
    url: url.toString(),
    privateNode: nodeName,
    stop: async () => {
      if (exited) return;
      const done = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([done, sleep(30_000)]);
      if (!exited) child.kill("SIGKILL");
    },
  };
}
