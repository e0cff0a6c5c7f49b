/**
 * A private RabbitMQ cluster of N nodes (`LEVELER_RABBITMQ_NODES=3`), the local stand-in for the
 * three replicas of `rabbitmq-eventing/rabbitmq-cluster.yaml`: each node is a private node as
 * rabbitmq.ts runs one (loopback only, its own user and generated password, no plugins), with its
 * own name, AMQP and distribution ports and data under `<state>/rabbitmq/cluster/node-<i>`; all
 * share an Erlang cookie of their own (`<state>/rabbitmq/cluster/.erlang.cookie`, 0400, found
 * through HOME, so the machine's and other users' nodes cannot reach them). The first start joins
 * nodes 2..N to node 1 with `rabbitmqctl join_cluster`; later starts run the same nodes again,
 * all at once (a clustered node waits at boot for the peers it last saw).
 *
 * Names are stable per state directory (mnesia remembers its peers by name); AMQP ports are new
 * each run and reach every process in AMQP_URL as a comma-separated list.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { freePort } from "./ports.js";
import {
  BrokerSetupError,
  canConnect,
  privateNodeConfig,
  privateNodeEnv,
  withCredentials,
  type EnsuredBroker,
  type PrivateCredentials,
} from "./rabbitmq.js";

/** One node of the private cluster, for the platform and for fault tests. */
export interface ClusterNode {
  /** Erlang node name, `leveler-<id>-<i>@localhost`. */
  readonly name: string;
  readonly base: string;
  /** This node's AMQP URL (with credentials); the port is picked at each start. */
  readonly url: string;
  /** The beam.smp process (from the node's pid file), or undefined while it does not run. */
  pid(): number | undefined;
  /** Starts the node (again) and waits until it answers AMQP. */
  start(): Promise<void>;
  /** Stops it gracefully (SIGTERM to rabbitmq-server, which runs `rabbitmqctl stop`). */
  stop(): Promise<void>;
  /** SIGKILLs its beam.smp: a node lost without a goodbye (an OOM kill, a lost host). */
  kill(): Promise<void>;
  /** `rabbitmqctl -n <node> -q ...args`, with the cluster's cookie; resolves with stdout. */
  ctl(...args: string[]): Promise<string>;
}

export interface PrivateCluster extends EnsuredBroker {
  nodes: readonly ClusterNode[];
}

export interface ClusterOptions {
  stateDir: string;
  nodes: number;
  credentials: PrivateCredentials;
  log: (line: string) => void;
  /** Erlang schedulers of each node (rabbitmq-schedulers.ts); Erlang's own count if unset. */
  schedulers?: number | undefined;
  /** How long the nodes may take to answer; a clustered restart waits for its peers. */
  startTimeoutMs?: number;
}

/** Where the cluster keeps its cookie, its formation record and each node's data. */
export function clusterPaths(stateDir: string): { base: string; cookie: string; formed: string } {
  const base = join(stateDir, "rabbitmq", "cluster");
  return { base, cookie: join(base, ".erlang.cookie"), formed: join(base, "formed.json") };
}

/** Node names: stable per state directory, distinct between two projects on one machine. */
export function clusterNodeNames(stateDir: string, count: number): string[] {
  const id = createHash("sha256").update(realpathOr(stateDir)).digest("hex").slice(0, 8);
  return Array.from({ length: count }, (_, i) => `leveler-${id}-${i + 1}@localhost`);
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The real `rabbitmqctl`: Debian's wrapper switches to the rabbitmq user, whose cookie is not ours. */
export function rabbitmqctlCommand(): string {
  const path = spawnSync("sh", ["-c", "command -v rabbitmqctl"], {
    encoding: "utf8",
  }).stdout.trim();
  if (!path)
    throw new BrokerSetupError("rabbitmqctl is not installed (it comes with rabbitmq-server)");
  const real = realpathSync(path);
  const direct = join(dirname(real), "rabbitmqctl");
  return real.endsWith("rabbitmq-script-wrapper") && existsSync(direct) ? direct : path;
}

export async function startPrivateCluster(
  server: string,
  options: ClusterOptions,
): Promise<PrivateCluster> {
  const { stateDir, credentials, log } = options;
  const paths = clusterPaths(stateDir);
  mkdirSync(paths.base, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.cookie)) {
    writeFileSync(paths.cookie, randomBytes(20).toString("hex"), { mode: 0o400 });
  }
  chmodSync(paths.cookie, 0o400);
  const names = clusterNodeNames(stateDir, options.nodes);
  const formed = readFormed(paths.formed);
  // A cluster formed with other nodes (another count): start from scratch rather than half-join.
  const fresh = formed?.join(",") !== names.join(",");
  const ctl = rabbitmqctlCommand();
  const nodes = names.map(
    (name, i) =>
      new LocalNode(server, ctl, {
        name,
        base: join(paths.base, "nodes", `node-${i + 1}`),
        home: paths.base,
        credentials,
        log,
        schedulers: options.schedulers,
      }),
  );
  const timeout = options.startTimeoutMs ?? 180_000;
  // Nodes of an earlier run that was not stopped (leveler killed): stop them, keeping their data,
  // so that this run starts them with its own ports.
  const left = registeredNodes();
  for (const node of nodes.filter((n) => left.has(n.name.split("@")[0]!))) {
    log(`private RabbitMQ node ${node.name} from an earlier run still runs: stopping it`);
    await node.ctl("stop").catch((err: Error) => log(`stopping ${node.name}: ${err.message}`));
  }
  if (fresh) rmSync(join(paths.base, "nodes"), { recursive: true, force: true });
  log(
    `starting a private ${options.nodes}-node RabbitMQ cluster ${names.join(", ")} (data in ${paths.base})`,
  );
  try {
    // All at once: a node that was clustered waits at boot for the peers it last saw.
    await Promise.all(nodes.map((n) => n.start(timeout)));
    if (fresh) {
      for (const node of nodes.slice(1)) {
        await node.ctl("stop_app");
        await node.ctl("join_cluster", names[0]!);
        await node.ctl("start_app");
        await node.waitForAmqp(timeout);
      }
      writeFileSync(paths.formed, JSON.stringify(names) + "\n");
    }
    const members = await nodes[0]!.ctl("eval", "length(rabbit_nodes:all_running()).");
    if (Number(members.trim()) !== nodes.length)
      throw new BrokerSetupError(
        `the private RabbitMQ cluster runs ${members.trim()} of ${nodes.length} nodes; see ${paths.base}`,
      );
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err instanceof BrokerSetupError
      ? err
      : new BrokerSetupError(
          `the private RabbitMQ cluster did not form: ${(err as Error).message}`,
        );
  }
  log(`private RabbitMQ cluster is up: ${nodes.map((n) => `${n.name} on ${n.port}`).join(", ")}`);
  return {
    get url() {
      return nodes.map((n) => n.url).join(",");
    },
    privateNode: names.join(","),
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** Node names (without the host) registered with the local epmd; none if epmd does not run. */
function registeredNodes(): Set<string> {
  const out = spawnSync("epmd", ["-names"], { encoding: "utf8", timeout: 5000 }).stdout ?? "";
  return new Set([...out.matchAll(/^name (\S+) at port/gm)].map((m) => m[1]!));
}

function readFormed(file: string): string[] | undefined {
  try {
    const names = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return Array.isArray(names) ? names.map(String) : undefined;
  } catch {
    return undefined;
  }
}

interface LocalNodeOptions {
  name: string;
  base: string;
  /** HOME for the node and its CLI: where the cluster's `.erlang.cookie` is. */
  home: string;
  credentials: PrivateCredentials;
  log: (line: string) => void;
  schedulers?: number | undefined;
}

class LocalNode implements ClusterNode {
  port = 0;
  private distPort = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly server: string,
    private readonly ctlCommand: string,
    private readonly options: LocalNodeOptions,
  ) {}

  get name(): string {
    return this.options.name;
  }

  get base(): string {
    return this.options.base;
  }

  get url(): string {
    return withCredentials(`amqp://127.0.0.1:${this.port}`, this.options.credentials);
  }

  pid(): number | undefined {
    if (!this.child) return undefined;
    try {
      return Number(readFileSync(join(this.base, "rabbitmq.pid"), "utf8").trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  async start(timeoutMs = 180_000): Promise<void> {
    if (this.child) return;
    const { base } = this;
    mkdirSync(join(base, "log"), { recursive: true, mode: 0o700 });
    mkdirSync(join(base, "mnesia"), { recursive: true, mode: 0o700 });
    writeFileSync(join(base, "enabled_plugins"), "[].\n");
    writeFileSync(
      join(base, "rabbitmq-env.conf"),
      "# Empty: the private node takes its settings from leveler's environment.\n",
    );
    writeFileSync(join(base, "rabbitmq.conf"), privateNodeConfig(this.options.credentials), {
      mode: 0o600,
    });
    rmSync(join(base, "rabbitmq.pid"), { force: true });
    // A node started again keeps its ports: clients hold its URL in their list.
    this.port ||= await freePort();
    this.distPort ||= await freePort();
    const distPort = this.distPort;
    const logFd = openSync(join(base, "log", "stdout.log"), "a", 0o600);
    const child = spawn(this.server, [], {
      env: {
        ...process.env,
        ...privateNodeEnv({
          base,
          nodeName: this.name,
          port: this.port,
          distPort,
          schedulers: this.options.schedulers,
        }),
        HOME: this.options.home,
      },
      stdio: ["ignore", logFd, logFd],
      // Its own process group: Ctrl-C reaches leveler, which stops the brokers last.
      detached: true,
    });
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    await this.waitForAmqp(timeoutMs);
  }

  async waitForAmqp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await canConnect(this.url, 2000))) {
      if (!this.child)
        throw new BrokerSetupError(
          `RabbitMQ node ${this.name} exited; see ${join(this.base, "log")}`,
        );
      if (Date.now() > deadline)
        throw new BrokerSetupError(
          `RabbitMQ node ${this.name} did not answer within ${timeoutMs / 1000} s; see ${join(this.base, "log")}`,
        );
      await sleep(500);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    await Promise.race([this.exited, sleep(30_000)]);
    if (this.child === child) await this.kill();
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    // The whole process group: rabbitmq-server's shell, beam.smp and its helpers (the node was
    // spawned detached, so it leads its own group; an epmd it started has left it, as a daemon).
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await Promise.race([this.exited, sleep(10_000)]);
  }

  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(
      this.ctlCommand,
      ["-n", this.name, "-q", ...args],
      {
        timeout: 120_000,
        env: {
          ...process.env,
          HOME: this.options.home,
          RABBITMQ_CONF_ENV_FILE: join(this.base, "rabbitmq-env.conf"),
        },
      },
    );
    return stdout;
  }
}
