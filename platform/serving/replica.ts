/**
 * One replica of a Knative Service: an OS process running the function's bundle, told what
 * Knative tells a container (PORT, K_SERVICE, K_REVISION, K_CONFIGURATION and the manifest's env)
 * and talked to only over HTTP and signals. Its IPC channel carries no message: it closes when
 * the platform dies, and the replica then stops as on SIGTERM (lib/runtime/parent-watch.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { setTimeout as sleep } from "node:timers/promises";
import { setNice } from "./cpu-weight.js";

/**
 * How often a starting replica's readiness probe runs. Knative's queue-proxy probes a starting
 * container every 50 ms (pkg/queue/readiness/probe.go, retryInterval); locally a refused
 * connection costs the platform ~0.1 ms of CPU (measured), so 10 ms keeps the wait after the
 * replica is listening at ~5 ms on average instead of ~25 ms.
 */
export const PROBE_INTERVAL_MS = 10;

/**
 * How Node runs a function, here as in its image (the Dockerfile's ENTRYPOINT has the same flags;
 * platform/deploy/dockerfile.test.ts holds them together).
 *
 * `--min-semi-space-size=8` (MB): V8 starts the young generation at 1 MB a semi-space and grows it
 * only after collecting it, so loading a bundle and serving the first request cost a replica two
 * scavenges (3-7 ms each, `--trace-gc`) on the way to its first answer. With 8 MB (4 would do for
 * the order bundle) there is none before it: Node's start to listening 75 → 60 ms, 10 alternating
 * starts of the order bundle each. Idle RSS is unchanged (67-68 MB either way): pages are taken as
 * they are used. Under load V8 grows the young generation as it does without, and the budget's CPU
 * per event did not move (865 against 867 µs, 3 trials each, same run).
 */
export const FUNCTION_NODE_FLAGS: readonly string[] = ["--min-semi-space-size=8"];

export interface ReplicaOptions {
  service: string;
  index: number;
  bundle: string;
  port: number;
  metricsPort: number;
  env: Record<string, string>;
  readinessPath: string;
  logDir: string;
  /** Scheduling priority from the Service's CPU request (serving/cpu-weight.ts); 0 = the platform's own. */
  nice?: number;
}

export type ReplicaState = "starting" | "ready" | "terminating" | "exited";

export class Replica {
  readonly process: ChildProcess;
  state: ReplicaState = "starting";
  exitCode: number | null = null;
  readonly exited: Promise<void>;
  private readonly log: WriteStream;

  constructor(readonly options: ReplicaOptions) {
    mkdirSync(options.logDir, { recursive: true });
    this.log = createWriteStream(join(options.logDir, `${options.service}-${options.index}.log`), {
      flags: "a",
    });
    // No --enable-source-maps: loading the map costs ~80 ms of every cold start (measured), and
    // the image runs without it too. NODE_OPTIONS=--enable-source-maps brings it back for debugging.
    this.process = spawn(process.execPath, [...FUNCTION_NODE_FLAGS, options.bundle], {
      env: {
        ...options.env,
        PORT: String(options.port),
        METRICS_PORT: String(options.metricsPort),
      },
      // The IPC channel carries nothing: its closing tells the replica the platform is gone
      // (lib/runtime/parent-watch.ts), SIGKILL included.
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    setNice(this.process, options.nice);
    // Each line starts with the ISO time it reached the platform, so `leveler logs` can interleave
    // replicas and honour --since (platform/cli/logs.ts reads the prefix).
    this.process.stdout?.pipe(timestamped()).pipe(this.log, { end: false });
    this.process.stderr?.pipe(timestamped()).pipe(this.log, { end: false });
    this.exited = new Promise((resolve) =>
      this.process.once("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        this.state = "exited";
        this.log.end();
        resolve();
      }),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.options.metricsPort}/metrics`;
  }

  /** Polls the readiness probe until it passes; false if the process exits or time runs out. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.state === "starting" && Date.now() < deadline) {
      // A cold start is the time to the first passing probe: probe straight away, then every
      // PROBE_INTERVAL_MS, so a replica waits half an interval on average once it listens.
      try {
        const response = await fetch(this.url + this.options.readinessPath, {
          signal: AbortSignal.timeout(1000),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.state = "ready";
          return true;
        }
      } catch {
        // not listening yet
      }
      await sleep(PROBE_INTERVAL_MS);
    }
    return this.state === "ready";
  }

  /** SIGTERM, then SIGKILL once the grace period is over, as the kubelet does. */
  async stop(graceMs: number): Promise<void> {
    if (this.state === "exited") return;
    this.state = "terminating";
    this.process.kill("SIGTERM");
    const killed = sleep(graceMs).then(() => {
      if (this.exitCode === null) this.process.kill("SIGKILL");
    });
    await Promise.race([this.exited, killed]);
    await this.exited;
  }
}

/**
 * Prefixes each line of `text` with `stamp` and a space; `atLineStart` says whether the previous
 * chunk ended a line. One stamp per chunk keeps it cheap: lines that arrive together share a time.
 */
export function stampLines(
  text: string,
  atLineStart: boolean,
  stamp: string,
): { text: string; atLineStart: boolean } {
  if (!text) return { text, atLineStart };
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const stamped = body.replaceAll("\n", `\n${stamp} `);
  return {
    text: `${atLineStart ? `${stamp} ` : ""}${stamped}${text.endsWith("\n") ? "\n" : ""}`,
    atLineStart: text.endsWith("\n"),
  };
}

function timestamped(): Transform {
  let atLineStart = true;
  // A chunk may end inside a multi-byte character: the decoder holds it for the next one.
  const decoder = new StringDecoder("utf8");
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const result = stampLines(decoder.write(chunk), atLineStart, new Date().toISOString());
      atLineStart = result.atLineStart;
      done(null, result.text);
    },
  });
}
