/** Helpers the benchmarks share: processes, load, memory, figures. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { build as buildHistogram } from "hdr-histogram-js";

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  durationS: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

export function startProcess(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return child;
}

export async function waitHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

/**
 * Closed-loop load: `connections` clients, each sending its next request when the last answered.
 * Latency is recorded per response into an HDR histogram (autocannon's own summary has no p95).
 */
export async function load(options: {
  url: string;
  body: string;
  contentType: string;
  connections: number;
  durationS: number;
}): Promise<LoadResult> {
  const histogram = buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: "POST",
        headers: { "content-type": options.contentType },
        body: options.body,
        connections: options.connections,
        duration: options.durationS,
      },
      (err: Error | null, r: autocannon.Result) => (err ? reject(err) : resolve(r)),
    );
    // responseTime is in ms with sub-ms precision; record microseconds.
    instance.on("response", (_client, _status, _bytes, responseTime) =>
      histogram.recordValue(Math.max(1, Math.round(responseTime * 1000))),
    );
  });
  const ok = result.requests.total - result.non2xx;
  const ms = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationS: result.duration,
    rps: ok / result.duration,
    p50: ms(50),
    p95: ms(95),
    p99: ms(99),
  };
}

/** Memory fields of `/proc/<pid>/status` (kB there), in MB; a field the kernel did not give is left out. */
export function procStatusMb<F extends string>(
  pid: number,
  fields: readonly F[],
): Partial<Record<F, number>> {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const out: Partial<Record<F, number>> = {};
  for (const field of fields) {
    const kb = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1];
    if (kb !== undefined) out[field] = Number(kb) / 1024;
  }
  return out;
}

/** Samples a process's resident memory (VmRSS) until stopped; returns the peak in MB. */
export function sampleRss(pid: number, everyMs = 250): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, procStatusMb(pid, ["VmRSS"]).VmRSS ?? 0);
    } catch {
      // process gone
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export { median } from "./stats.js";
