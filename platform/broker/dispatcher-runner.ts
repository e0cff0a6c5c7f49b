/**
 * Runs a dispatcher process (one Trigger's, as eventing-rabbitmq runs one Deployment per Trigger,
 * or several sharing it: dispatcher-group.ts), restarts it if it dies, and keeps each
 * dispatcher's counters across restarts.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setNice } from "../serving/cpu-weight.js";
import type { DispatcherScaleEvent } from "./backlog-autoscaler.js";
import type { DispatcherStats } from "./dispatcher.js";

/**
 * V8 grows its heap lazily when there is memory to spare (a busy dispatcher reached ~290 MB
 * resident); the old-space cap keeps each dispatcher bounded. The young generation is left at
 * V8's 64-bit default of 16 MB per semi-space: a cap of 4 made a dispatcher scavenge so often
 * that the messages and spans in flight were copied again and again: without it a dispatcher
 * spends 0.84 of the CPU per event it did (budget stage, same run: 160 against 190 µs/event at
 * ratio 0.01, 241 against 280 at ratio 1), for at most 36 MB more resident.
 */
const HEAP_LIMITS = ["--max-semi-space-size=16", "--max-old-space-size=96"];

export interface DispatcherRunnerOptions {
  /** The process's name (its log file is `dispatcher-<name>.log`). */
  name: string;
  /** The dispatchers it runs, by the names they report under; `[name]` when not given. */
  members?: readonly string[];
  script: string;
  env: Record<string, string>;
  /** Where the process serves its metrics (its METRICS_PORT), shared by its members. */
  metricsUrl?: string;
  logDir: string;
  log: (line: string) => void;
  /** Scheduling priority from the Trigger's cpu-request annotation (serving/cpu-weight.ts). */
  nice?: number;
  /** Each change of the dispatcher's replicas (backlog-driven delivery). */
  onScale?: (event: DispatcherScaleEvent) => void;
}

/** A dispatcher's counters summed over its restarts, plus what the runner knows of its process. */
export interface DispatcherTotals extends DispatcherStats {
  restarts: number;
  pid: number | undefined;
}

interface Retired {
  processed: Record<string, number>;
  deadLettered: Record<string, number>;
  replies: number;
  retries: number;
}

export class DispatcherRunner {
  private child: ChildProcess | undefined;
  /** Each member's last report from the running process. */
  private readonly current = new Map<string, DispatcherStats>();
  private readonly retired = new Map<string, Retired>();
  private stopped = false;
  private restarts = 0;

  constructor(private readonly options: DispatcherRunnerOptions) {}

  /** The process's metrics endpoint, if it serves one. */
  get metricsUrl(): string | undefined {
    return this.options.metricsUrl;
  }

  /** The dispatchers this process runs. */
  get members(): readonly string[] {
    return this.options.members ?? [this.options.name];
  }

  start(): void {
    mkdirSync(this.options.logDir, { recursive: true });
    const log = createWriteStream(
      join(this.options.logDir, `dispatcher-${this.options.name}.log`),
      { flags: "a" },
    );
    // No --enable-source-maps (as for replicas): amqplib captures a stack on every channel close,
    // and mapping it cost measurable CPU under load. NODE_OPTIONS=--enable-source-maps for debugging.
    const child = fork(this.options.script, [], {
      env: this.options.env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: HEAP_LIMITS,
    });
    setNice(child, this.options.nice);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.on(
      "message",
      (message: {
        kind?: string;
        name?: string;
        stats?: DispatcherStats;
        event?: DispatcherScaleEvent;
      }) => {
        if (message.kind === "stats" && message.stats)
          this.current.set(message.name ?? this.options.name, message.stats);
        if (message.kind === "scale" && message.event) this.options.onScale?.(message.event);
      },
    );
    child.once("exit", (code, signal) => {
      log.end();
      this.retire();
      if (this.child !== child || this.stopped) return;
      this.restarts++;
      this.options.log(`dispatcher ${this.options.name} exited (${signal ?? code}); restarting it`);
      setTimeout(() => !this.stopped && this.start(), Math.min(200 * this.restarts, 5000));
    });
    this.child = child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** One member's counters over every run of the process (the only member's by default). */
  totals(member = this.options.name): DispatcherTotals {
    const c = this.current.get(member);
    const r = this.retired.get(member) ?? noneRetired();
    return {
      processed: add(r.processed, c?.processed ?? {}),
      deadLettered: add(r.deadLettered, c?.deadLettered ?? {}),
      replies: r.replies + (c?.replies ?? 0),
      retries: r.retries + (c?.retries ?? 0),
      inFlight: c?.inFlight ?? 0,
      connected: c?.connected ?? false,
      replicas: c?.replicas ?? 0,
      inFlightBound: c?.inFlightBound ?? 0,
      restarts: this.restarts,
      pid: this.child?.pid,
    };
  }

  /** From now on, an exit is not followed by a restart. */
  halt(): void {
    this.stopped = true;
  }

  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private retire(): void {
    for (const [member, c] of this.current) {
      const r = this.retired.get(member) ?? noneRetired();
      this.retired.set(member, {
        processed: add(r.processed, c.processed),
        deadLettered: add(r.deadLettered, c.deadLettered),
        replies: r.replies + c.replies,
        retries: r.retries + c.retries,
      });
    }
    this.current.clear();
  }
}

function noneRetired(): Retired {
  return { processed: {}, deadLettered: {}, replies: 0, retries: 0 };
}

function add(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
