/**
 * Makes sure a RabbitMQ answers. If nothing answers at the default local address and
 * `rabbitmq-server` is installed, runs a private node for this run: its own node name, ports and
 * data under the state directory, stopped with leveler. Otherwise fails with one line that says
 * what to do.
 *
 * The private node is for this user alone: every listener on loopback (AMQP, Erlang distribution,
 * and epmd when this node is the one to start it), and no guest account: its own user and a
 * generated password, kept in `<state>/rabbitmq/credentials` (0600) and handed to every process
 * of the platform in AMQP_URL.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import amqp from "amqplib";
import { redact } from "../lib/amqp-connection.js";
import { amqpUrls } from "../lib/amqp-urls.js";
import { freePort } from "./ports.js";
import { startPrivateCluster } from "./rabbitmq-cluster.js";
import { schedulersFlag } from "./rabbitmq-schedulers.js";

export class BrokerSetupError extends Error {
  override readonly name = "BrokerSetupError";
}

export interface EnsuredBroker {
  url: string;
  /** Set when leveler started its own node. */
  privateNode?: string;
  stop(): Promise<void>;
}

/** Whether `url` answers; for a list of nodes, whether any of them does. */
export async function canConnect(url: string, timeoutMs = 3000): Promise<boolean> {
  for (const node of amqpUrls(url)) {
    try {
      const connection = await amqp.connect(node, { timeout: timeoutMs });
      await connection.close();
      return true;
    } catch {
      // the next node
    }
  }
  return false;
}

export interface EnsureBrokerOptions {
  stateDir: string;
  mayStartPrivate: boolean;
  log: (line: string) => void;
  /**
   * Nodes of the private broker (LEVELER_RABBITMQ_NODES): 1 runs one node, only when nothing
   * answers at `url`; more run a private cluster (rabbitmq-cluster.ts) on ports of its own,
   * whatever answers at `url`, since that was asked for by name.
   */
  nodes?: number;
  /** Erlang schedulers of each private node (rabbitmq-schedulers.ts); Erlang's own count if unset. */
  schedulers?: number | undefined;
  /** Where a private node's distribution port comes from: `freePort` unless a test says otherwise. */
  distPort?: () => Promise<number>;
}

export async function ensureBroker(
  url: string,
  options: EnsureBrokerOptions,
): Promise<EnsuredBroker> {
  const nodes = options.nodes ?? 1;
  if (nodes > 1) {
    if (!options.mayStartPrivate)
      throw new BrokerSetupError(
        `LEVELER_RABBITMQ_NODES=${nodes} runs a private cluster, which AMQP_URL replaces: unset one of them`,
      );
    const server = rabbitmqServerCommand();
    if (!server)
      throw new BrokerSetupError(
        `LEVELER_RABBITMQ_NODES=${nodes} needs rabbitmq-server (Debian/Ubuntu: apt-get install rabbitmq-server)`,
      );
    mkdirSync(privateNodePaths(options.stateDir).base, { recursive: true, mode: 0o700 });
    const credentials = privateCredentials(options.stateDir, options.log);
    return startPrivateCluster(server, { ...options, nodes, credentials });
  }
  if (await canConnect(url)) return { url, stop: () => Promise.resolve() };
  const parsed = new URL(amqpUrls(url)[0]!);
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

export interface PrivateCredentials {
  user: string;
  password: string;
}

export const PRIVATE_USER = "leveler";

/** Where the private node keeps its data, and its credentials file. */
export function privateNodePaths(stateDir: string): { base: string; credentials: string } {
  const base = join(stateDir, "rabbitmq");
  return { base, credentials: join(base, "credentials") };
}

/** The private node's credentials, if a previous start generated them. */
export function readPrivateCredentials(stateDir: string): PrivateCredentials | undefined {
  try {
    const parsed = JSON.parse(
      readFileSync(privateNodePaths(stateDir).credentials, "utf8"),
    ) as Partial<PrivateCredentials>;
    return typeof parsed.user === "string" && typeof parsed.password === "string"
      ? { user: parsed.user, password: parsed.password }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `url` (each node of a list) with the private node's user and password in place of whatever it named. */
export function withCredentials(url: URL | string, credentials: PrivateCredentials): string {
  return amqpUrls(url.toString())
    .map((node) => {
      const u = new URL(node);
      u.username = encodeURIComponent(credentials.user);
      u.password = encodeURIComponent(credentials.password);
      return u.toString();
    })
    .join(",");
}

/**
 * rabbitmq.conf of the private node: its user in place of guest. RabbitMQ creates the default
 * user only when its database is new; the credentials file lives beside that database.
 */
export function privateNodeConfig(credentials: PrivateCredentials): string {
  return [
    `default_user = ${credentials.user}`,
    `default_pass = ${credentials.password}`,
    "default_vhost = /",
    "",
  ].join("\n");
}

/**
 * The environment that keeps the node's Erlang side on loopback and its files in `base`, with
 * `schedulers` Erlang schedulers when set (rabbitmq-schedulers.ts).
 */
export function privateNodeEnv(options: {
  base: string;
  nodeName: string;
  port: number;
  distPort: number;
  schedulers?: number | undefined;
}): Record<string, string> {
  const { base } = options;
  return {
    RABBITMQ_NODENAME: options.nodeName,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(options.port),
    RABBITMQ_DIST_PORT: String(options.distPort),
    // The port mapper this node starts if none runs yet (one that already runs keeps its own
    // binding), and the node's distribution listener: loopback only.
    ERL_EPMD_ADDRESS: "127.0.0.1",
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: [
      "-kernel inet_dist_use_interface {127,0,0,1}",
      schedulersFlag(options.schedulers),
    ]
      .filter(Boolean)
      .join(" "),
    // Its own (empty) rabbitmq-env.conf: the machine's /etc/rabbitmq one is for the system node.
    RABBITMQ_CONF_ENV_FILE: join(base, "rabbitmq-env.conf"),
    RABBITMQ_MNESIA_BASE: join(base, "mnesia"),
    RABBITMQ_LOG_BASE: join(base, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, "enabled_plugins"),
    RABBITMQ_CONFIG_FILE: join(base, "rabbitmq"),
    RABBITMQ_PID_FILE: join(base, "rabbitmq.pid"),
    RABBITMQ_FEATURE_FLAGS_FILE: join(base, "feature_flags"),
    ERL_CRASH_DUMP: join(base, "log", "erl_crash.dump"),
  };
}

/**
 * The credentials of the node in `base`: read back, or generated (0600) for a new node. Data of
 * a node from before there were credentials knows only guest: it is moved aside, not deleted.
 */
export function privateCredentials(
  stateDir: string,
  log: (line: string) => void,
): PrivateCredentials {
  const existing = readPrivateCredentials(stateDir);
  const { base, credentials: file } = privateNodePaths(stateDir);
  if (existing) {
    chmodSync(file, 0o600);
    return existing;
  }
  const mnesia = join(base, "mnesia");
  if (existsSync(mnesia) && readdirSync(mnesia).length > 0) {
    const aside = `${mnesia}.guest-${Date.now()}`;
    renameSync(mnesia, aside);
    log(
      `the private RabbitMQ node's data in ${mnesia} has no credentials file (guest only): moved to ${aside}; a new node starts with its own user`,
    );
  }
  const created = { user: PRIVATE_USER, password: randomBytes(24).toString("hex") };
  writeFileSync(file, JSON.stringify(created) + "\n", { mode: 0o600 });
  return created;
}

async function startPrivateNode(
  server: string,
  url: URL,
  options: EnsureBrokerOptions,
): Promise<EnsuredBroker> {
  const port = Number(url.port || 5672);
  const nodeName = `leveler-${port}@localhost`;
  const { base } = privateNodePaths(options.stateDir);
  mkdirSync(join(base, "log"), { recursive: true, mode: 0o700 });
  const credentials = privateCredentials(options.stateDir, options.log);
  const privateUrl = withCredentials(url, credentials);
  // A node of an earlier run that was not stopped (leveler killed): use it.
  if (await canConnect(privateUrl)) {
    options.log(`private RabbitMQ node ${nodeName} from an earlier run answers: using it`);
    return { url: privateUrl, privateNode: nodeName, stop: () => Promise.resolve() };
  }
  mkdirSync(join(base, "mnesia"), { recursive: true, mode: 0o700 });
  // No plugins: the system node's management plugin would want port 15672 too.
  writeFileSync(join(base, "enabled_plugins"), "[].\n");
  writeFileSync(
    join(base, "rabbitmq-env.conf"),
    "# Empty: the private node takes its settings from leveler's environment.\n",
  );
  writeFileSync(join(base, "rabbitmq.conf"), privateNodeConfig(credentials), { mode: 0o600 });
  chmodSync(join(base, "rabbitmq.conf"), 0o600);
  const logFile = join(base, "log", "stdout.log");
  options.log(
    `RabbitMQ does not answer at ${redact(url.toString())}; starting a private node ${nodeName} (data in ${base})`,
  );
  let child: ChildProcess | undefined;
  let exited = false;
  for (let attempt = 1; !child; attempt++) {
    // The distribution port is found free here and taken by the node a second or two later; in
    // between another process can listen on it (seen in CI, many tests taking ports at once).
    // RabbitMQ then stops at once, saying so in its log: another port, up to three times.
    const distPort = await (options.distPort ?? freePort)();
    const logFd = openSync(logFile, "a", 0o600);
    const logFrom = fstatSync(logFd).size;
    const started: ChildProcess = spawn(server, [], {
      env: {
        ...process.env,
        ...privateNodeEnv({ base, nodeName, port, distPort, schedulers: options.schedulers }),
      },
      stdio: ["ignore", logFd, logFd],
      // Its own process group: Ctrl-C reaches leveler, which stops the broker last, after the
      // functions have confirmed what they accepted.
      detached: true,
    });
    closeSync(logFd);
    exited = false;
    started.once("exit", () => (exited = true));
    const deadline = Date.now() + 90_000;
    while (!(await canConnect(privateUrl, 2000))) {
      if (exited) {
        const said = readFileSync(logFile).subarray(logFrom).toString("utf8");
        if (attempt < 3 && said.includes("dist_port_already_used")) {
          options.log(`private RabbitMQ node: port ${distPort} was taken meanwhile; another`);
          break;
        }
        throw new BrokerSetupError(
          `the private RabbitMQ node exited at start; see ${join(base, "log")}`,
        );
      }
      if (Date.now() > deadline) {
        started.kill("SIGKILL");
        throw new BrokerSetupError(
          `the private RabbitMQ node did not answer within 90 s; see ${join(base, "log")}`,
        );
      }
      await sleep(500);
    }
    if (!exited) child = started;
  }
  const node = child;
  options.log(`private RabbitMQ node ${nodeName} is up on port ${port}`);
  return {
    url: privateUrl,
    privateNode: nodeName,
    stop: async () => {
      if (exited) return;
      const done = new Promise((resolve) => node.once("exit", resolve));
      node.kill("SIGTERM");
      await Promise.race([done, sleep(30_000)]);
      if (!exited) node.kill("SIGKILL");
    },
  };
}
