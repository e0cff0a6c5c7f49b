/**
 * The local platform as the benchmark sees it: a child process started as `npm start` starts it
 * (`dist/platform/main.js`), driven only from outside: its status API, its timeline, and the
 * `leveler` CLI. The benchmark gets its own state directory, ports and instance id, so its
 * exchanges and queues are its own; they are deleted when it stops.
 *
 * A benchmark stopped by SIGTERM or SIGINT stops its platform first (then exits as the signal
 * would have). Killed outright, it leaves the platform to notice on its own: the platform is
 * started with an IPC channel and stops when that channel closes (lib/runtime/parent-watch.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connectAny } from "../../lib/amqp-connection.js";
import { deleteTopology, planTopology } from "../../platform/broker/topology.js";
import { loadManifests } from "../../platform/manifests.js";
import type { PlatformStatus } from "../../platform/status/status-document.js";
import { freePort } from "../../platform/ports.js";
import type { TimelineSample } from "../../platform/status/timeline.js";

export interface BenchPlatform {
  instance: string;
  /** The platform's process. */
  pid: number;
  ingressUrl: string;
  statusUrl: string;
  amqpUrl: string;
  status(): Promise<PlatformStatus>;
  timeline(since?: number): Promise<TimelineSample[]>;
  /** `leveler sampling <ratio>`, then waits until every process applies it. */
  setSampling(ratio: number): Promise<void>;
  /** Stops the platform and removes its queues and state; safe to call twice. */
  stop(): Promise<void>;
}

export interface BenchPlatformOptions {
  root: string;
  amqpUrl: string;
  /** Extra environment for the platform (per-Service overrides: LEVELER_<SERVICE>_<VAR>). */
  env?: Readonly<Record<string, string>>;
  /** Where the platform's own output goes. */
  logFile: string;
}

const START_TIMEOUT_MS = 180_000;

export async function startBenchPlatform(options: BenchPlatformOptions): Promise<BenchPlatform> {
  const instance = `bench-${randomBytes(3).toString("hex")}`;
  const stateDir = mkdtempSync(join(tmpdir(), `leveler-${instance}-`));
  const [ingressPort, statusPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    AMQP_URL: options.amqpUrl,
    LEVELER_INSTANCE: instance,
    LEVELER_STATE_DIR: stateDir,
    LEVELER_MANIFESTS: ["knative", "rabbitmq-eventing"].map((d) => join(options.root, d)).join(","),
    LEVELER_DIST: join(options.root, "dist"),
    LEVELER_LOG_SCALE: "false",
    INGRESS_PORT: String(ingressPort),
    STATUS_PORT: String(statusPort),
    ...options.env,
  };
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child: ChildProcess = spawn(
    process.execPath,
    [join(options.root, "dist", "platform", "main.js")],
    { env, stdio: ["ignore", "pipe", "pipe", "ipc"], cwd: options.root },
  );
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const running = () => child.exitCode === null && child.signalCode === null;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      if (running()) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(30_000)]);
        if (running()) child.kill("SIGKILL");
      }
      log.end();
      // The bench's exchanges and queues are its own: remove them.
      await deleteInstanceTopology(
        ["knative", "rabbitmq-eventing"].map((d) => join(options.root, d)),
        instance,
        options.amqpUrl,
      );
      rmSync(stateDir, { recursive: true, force: true });
    })());
  // Interrupted: stop the platform, then exit as the signal would have (128 + its number).
  const onSignal = (signal: NodeJS.Signals) => {
    const code = 128 + (signal === "SIGINT" ? 2 : 15);
    void stop().then(
      () => process.exit(code),
      () => process.exit(code),
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);

  const statusUrl = `http://127.0.0.1:${statusPort}`;
  const ingressUrl = `http://127.0.0.1:${ingressPort}`;

  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(statusUrl + path, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return (await response.json()) as T;
  };

  // Up when the status API answers and the public ingress is ready behind its front. Generous:
  // on a loaded 2-core machine a start (RabbitMQ topology, every min-scale replica) took over 60 s.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (!running()) {
      await stop();
      throw new Error(
        `the platform exited (${child.exitCode ?? child.signalCode}) while starting; see ${options.logFile}`,
      );
    }
    try {
      const status = await getJson<PlatformStatus>("/api/status");
      if (status.broker.connected && status.functions.find((f) => f.name === "ingress")?.ready)
        break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the platform did not come up within ${START_TIMEOUT_MS / 1000} s; see ${options.logFile}`,
      );
    }
    await sleep(200);
  }

  const platform: BenchPlatform = {
    instance,
    pid: child.pid!,
    ingressUrl,
    statusUrl,
    amqpUrl: options.amqpUrl,
    status: () => getJson<PlatformStatus>("/api/status"),
    timeline: async (since = 0) =>
      (await getJson<{ samples: TimelineSample[] }>(`/api/timeline?since=${since}`)).samples,
    async setSampling(ratio) {
      const cli = spawn(
        process.execPath,
        [join(options.root, "dist", "platform", "cli.js"), "sampling", String(ratio)],
        { env, stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      cli.stdout.on("data", (d: Buffer) => (output += d.toString()));
      cli.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((r) => cli.once("exit", r));
      if (code !== 0) throw new Error(`leveler sampling ${ratio}: ${output.trim()}`);
      const until = Date.now() + 30_000;
      while ((await platform.status()).telemetry.samplerRatio !== ratio) {
        if (Date.now() > until)
          throw new Error(`the functions did not apply sampler ratio ${ratio} within 30 s`);
        await sleep(200);
      }
    },
    stop,
  };
  return platform;
}

/**
 * Deletes the exchanges and queues a platform started with `instance` declared from the manifests
 * in `manifestDirs`: a benchmark's instance is its own, and its topology goes with it.
 */
export async function deleteInstanceTopology(
  manifestDirs: readonly string[],
  instance: string,
  amqpUrl: string,
): Promise<void> {
  const plan = planTopology(loadManifests([...manifestDirs]), instance);
  const connection = await connectAny(amqpUrl);
  try {
    await deleteTopology(await connection.createChannel(), plan);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
