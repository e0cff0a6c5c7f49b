/**
 * `leveler logs <function> [--follow] [--since 5m] [--cluster [--namespace NS]]`: the function's
 * replicas' logs from the state directory (`<state>/logs/<function>-<replica>.log`, what each
 * replica writes to stdout and stderr, each line prefixed with its ISO time by
 * platform/serving/replica.ts), each line labelled by its replica and interleaved by time; with
 * `--follow`, new lines as they are written. `--cluster`: the pods' logs (logs-cluster.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readPlatformConfig } from "../config.js";

export const LOGS_USAGE = `  logs <function> [--follow] [--since 5m] [--cluster [--namespace NS]]
                            the function's replicas' logs, interleaved by time, each line
                            labelled by replica (by pod with --cluster)`;

/** `30s`, `5m`, `2h` → milliseconds; undefined when it is not such a duration. */
export function parseSince(text: string): number | undefined {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "s" | "m" | "h"];
}

/** The time a stamped line starts with, in ms; undefined for a line without one. */
export function lineTime(line: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /.exec(line);
  return m ? Date.parse(m[1]!) : undefined;
}

/**
 * Every replica's lines, labelled, in time order (stable: a replica's own order is kept). A line
 * without a stamp (written before stamping, or a continuation) takes its predecessor's time.
 * With `since`, only lines at or after it.
 */
export function interleave(sources: { replica: string; text: string }[], since?: number): string[] {
  const lines: { time: number; line: string }[] = [];
  for (const { replica, text } of sources) {
    let time = -Infinity;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      time = lineTime(line) ?? time;
      if (since === undefined || time >= since) lines.push({ time, line: `${replica} | ${line}` });
    }
  }
  return lines.sort((a, b) => a.time - b.time).map((l) => l.line);
}

/** The log files of `fn`'s replicas in `dir`, by replica index. */
export function replicaLogs(dir: string, fn: string): { replica: string; path: string }[] {
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${fn.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d+)\\.log$`);
  return readdirSync(dir)
    .map((f) => ({ f, m: pattern.exec(f) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map(({ f }) => ({ replica: f.slice(0, -4), path: join(dir, f) }));
}

export function labelled(replica: string, text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => `${replica} | ${l}`);
}

export async function logs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      follow: { type: "boolean", short: "f" },
      since: { type: "string" },
      cluster: { type: "boolean" },
      namespace: { type: "string", default: "leveler" },
    },
  });
  const [fn] = positionals;
  if (!fn || positionals.length > 1) {
    console.error(
      "leveler logs: usage: leveler logs <function> [--follow] [--since 5m] [--cluster [--namespace NS]]",
    );
    return 2;
  }
  const sinceMs = values.since === undefined ? undefined : parseSince(values.since);
  if (values.since !== undefined && sinceMs === undefined) {
    console.error(
      `leveler logs: --since wants a duration such as 30s, 5m or 2h, not "${values.since}"`,
    );
    return 2;
  }
  if (values.cluster) {
    const { clusterLogs } = await import("./logs-cluster.js");
    return clusterLogs(fn, values.namespace, {
      follow: values.follow ?? false,
      ...(sinceMs !== undefined ? { sinceSeconds: Math.ceil(sinceMs / 1000) } : {}),
    });
  }
  const dir = join(readPlatformConfig().stateDir, "logs");
  const files = replicaLogs(dir, fn);
  if (!files.length && !values.follow) {
    console.error(`leveler logs: no logs for "${fn}" in ${dir}`);
    return 1;
  }
  const offsets = new Map<string, number>();
  const sources = files.map(({ replica, path }) => {
    const text = readFileSync(path, "utf8");
    offsets.set(path, Buffer.byteLength(text));
    return { replica, text };
  });
  const since = sinceMs === undefined ? undefined : Date.now() - sinceMs;
  for (const line of interleave(sources, since)) console.log(line);
  if (!values.follow) return 0;
  // New files (a replica scaled up) and new lines, in the order they are written.
  const pump = async () => {
    for (const { replica, path } of replicaLogs(dir, fn)) {
      const from = offsets.get(path) ?? 0;
      const size = statSync(path).size;
      if (size <= from) continue;
      const handle = await open(path, "r");
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      await handle.close();
      const text = buffer.toString("utf8");
      const complete = text.lastIndexOf("\n") + 1;
      offsets.set(path, from + Buffer.byteLength(text.slice(0, complete)));
      for (const line of labelled(replica, text.slice(0, complete))) console.log(line);
    }
  };
  let running = Promise.resolve();
  watch(dir, () => {
    running = running.then(pump);
  });
  await new Promise(() => undefined);
  return 0;
}
