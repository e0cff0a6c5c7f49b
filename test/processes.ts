/** What /proc says about processes: for tests that must find every process a platform started. */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessId {
  pid: number;
  /** Start time in clock ticks since boot: with the pid, names one process even if the pid is reused. */
  start: string;
}

function stat(pid: number): { ppid: number; start: string } | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), start: fields[19]! };
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

/** Every process under `root` (children, their children, ...), root excluded. */
export function descendants(root: number): ProcessId[] {
  const children = new Map<number, { pid: number; start: string }[]>();
  for (const pid of pids()) {
    const s = stat(pid);
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid, start: s.start });
    children.set(s.ppid, list);
  }
  const out: ProcessId[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return out;
}

/** Processes whose environment or command line contains `marker`. */
export function processesMarked(marker: string): ProcessId[] {
  const out: ProcessId[] = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    try {
      const text =
        readFileSync(`/proc/${pid}/environ`, "latin1") +
        readFileSync(`/proc/${pid}/cmdline`, "latin1");
      const s = stat(pid);
      if (s && text.includes(marker)) out.push({ pid, start: s.start });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Those of `list` still running (a zombie has exited: it only waits for its parent to reap it). */
export function alive(list: readonly ProcessId[]): ProcessId[] {
  return list.filter((p) => {
    const s = stat(p.pid);
    if (!s || s.start !== p.start) return false;
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${p.pid}/status`, "utf8"));
    } catch {
      return false;
    }
  });
}
