/**
 * RabbitMQ as the benchmark sees it: a node of its own when asked (`--private-rabbitmq`: started
 * through the platform's private-node path on a free port, so other users of the machine's
 * RabbitMQ add nothing to its CPU figures), and the pid of the node that serves an AMQP URL, for
 * the CPU budget.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../platform/ports.js";
import { ensureBroker } from "../../platform/rabbitmq.js";
import { manifestSchedulers } from "../../platform/rabbitmq-schedulers.js";
import { pidListeningOn } from "./cpu-sampler.js";

export interface BenchRabbit {
  url: string;
  stop(): Promise<void>;
}

/** A private node as `npm start` in `root` would start it: its schedulers from root's manifests. */
export async function startPrivateRabbit(root: string): Promise<BenchRabbit> {
  const stateDir = mkdtempSync(join(tmpdir(), "leveler-bench-rabbit-"));
  const broker = await ensureBroker(`amqp://guest:guest@127.0.0.1:${await freePort()}`, {
    stateDir,
    mayStartPrivate: true,
    schedulers: manifestSchedulers(["knative", "rabbitmq-eventing"].map((d) => join(root, d))),
    log: () => undefined,
  });
  // Interrupted (the platform helper exits on SIGINT/SIGTERM), the node must not outlive the
  // benchmark: Erlang takes SIGTERM as a clean shutdown.
  const pid = rabbitmqPid(broker.url);
  const onExit = () => {
    if (pid !== null) process.kill(pid, "SIGTERM");
  };
  process.once("exit", onExit);
  return {
    url: broker.url,
    async stop() {
      process.off("exit", onExit);
      await broker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The pid of the RabbitMQ node behind `amqpUrl` if it runs on this machine, else null. */
export function rabbitmqPid(amqpUrl: string): number | null {
  const url = new URL(amqpUrl);
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(url.hostname)) return null;
  return pidListeningOn(Number(url.port || 5672));
}

/**
 * The Erlang schedulers a running node has: its threads named `<n>_scheduler` (the dirty
 * schedulers are `<n>_dirty_cpu_sch...` and `<n>_dirty_io_sch...`); null if it cannot be read.
 */
export function erlangSchedulerThreads(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/task`).filter((tid) => {
      try {
        return /^\d+_scheduler$/.test(readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim());
      } catch {
        return false; // ended meanwhile
      }
    }).length;
  } catch {
    return null;
  }
}
