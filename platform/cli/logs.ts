/**
 * `leveler logs <function> [--follow]`: the function's replicas' logs from the state directory
 * (`<state>/logs/<function>-<replica>.log`, what each replica writes to stdout and stderr), each
 * line labelled by its replica. Replica logs carry no timestamps, so past lines come replica by
 * replica; with `--follow`, new lines interleave as they are written.
 */
import { existsSync, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readPlatformConfig } from "../config.js";

export const LOGS_USAGE = `  logs <function> [--follow]
                            the function's replicas' logs, each line labelled by replica`;

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
    options: { follow: { type: "boolean", short: "f" } },
  });
  const [fn] = positionals;
  if (!fn || positionals.length > 1) {
    console.error("leveler logs: usage: leveler logs <function> [--follow]");
    return 2;
  }
  const dir = join(readPlatformConfig().stateDir, "logs");
  const files = replicaLogs(dir, fn);
  if (!files.length && !values.follow) {
    console.error(`leveler logs: no logs for "${fn}" in ${dir}`);
    return 1;
  }
  const offsets = new Map<string, number>();
  for (const { replica, path } of files) {
    const text = readFileSync(path, "utf8");
    for (const line of labelled(replica, text)) console.log(line);
    offsets.set(path, Buffer.byteLength(text));
  }
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
