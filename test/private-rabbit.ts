/**
 * A RabbitMQ node of the test's own (started through the platform's private-node path, with the
 * Erlang schedulers `npm start` would give it: rabbitmq-schedulers.ts), so that stopping the broker
 * hurts no one else using the machine's RabbitMQ.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../platform/ports.js";
import { ensureBroker, type EnsuredBroker } from "../platform/rabbitmq.js";
import type { ClusterNode, PrivateCluster } from "../platform/rabbitmq-cluster.js";
import { manifestSchedulers } from "../platform/rabbitmq-schedulers.js";

/** As the platform reads them from the shipped manifests. */
const schedulers = () => manifestSchedulers(["knative", "rabbitmq-eventing"]);

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
    schedulers: schedulers(),
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

export interface PrivateRabbitCluster {
  /** Every node's URL, comma-separated: what the platform hands its processes as AMQP_URL. */
  url: string;
  nodes: readonly ClusterNode[];
  /** The node leading quorum queue `queue`, by its Erlang name. */
  leaderOf(queue: string): Promise<string>;
  /** Members of quorum queue `queue` (node names). */
  membersOf(queue: string): Promise<string[]>;
  /** Stops every node, then starts the cluster again from the same state directory (a second `npm start`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A private cluster of `count` nodes (platform/rabbitmq-cluster.ts) in a state directory of its own. */
export async function startPrivateRabbitCluster(count = 3): Promise<PrivateRabbitCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), "leveler-cluster-"));
  const start = async () =>
    (await ensureBroker("amqp://127.0.0.1:5672", {
      stateDir,
      mayStartPrivate: true,
      nodes: count,
      schedulers: schedulers(),
      log: () => undefined,
    })) as PrivateCluster;
  let broker = await start();
  // Ask any node that runs: the one a test killed cannot answer.
  const ask = async (...args: string[]): Promise<string> => {
    let last: unknown;
    for (const node of broker.nodes.filter((n) => n.pid() !== undefined)) {
      try {
        return await node.ctl(...args);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
  const queueInfo = async (queue: string, column: "leader" | "members"): Promise<string> => {
    const out = await ask("list_queues", "--no-table-headers", "name", column);
    const line = out.split("\n").find((l) => l.split("\t")[0] === queue);
    if (!line) throw new Error(`no queue ${queue} in list_queues`);
    return line.split("\t")[1]!.trim();
  };
  return {
    get url() {
      return broker.url;
    },
    get nodes() {
      return broker.nodes;
    },
    leaderOf: (queue) => queueInfo(queue, "leader"),
    membersOf: async (queue) =>
      (await queueInfo(queue, "members")).replace(/[[\]]/g, "").split(/,\s*/).filter(Boolean),
    async restart() {
      await broker.stop();
      broker = await start();
    },
    async stop() {
      await broker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
