/**
 * Reads the CPU of every process of the system from /proc while a stretch of the run goes on:
 * the platform's whole process tree (the platform itself, ingress replicas, dispatchers,
 * consumers, the dead-letter sink) and RabbitMQ's (beam.smp, found by the AMQP port it listens
 * on). The tree is walked again at every reading (every 100 ms by default), so replicas that start
 * mid-stretch are counted from birth, and those that exit up to their last reading plus what their
 * parent reaped (cpu-budget.ts). The load generator (this process) is no part of either tree.
 *
 * Linux only; elsewhere `available()` is false and the benchmark says so instead of a table.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { CpuTally, roleOf, type CpuBudget, type ProcessReading, type Role } from "./cpu-budget.js";
import {
  listeningInodes,
  parseChildren,
  parseContextSwitches,
  parseIoCalls,
  parseProcStat,
  parseThreadSwitches,
  socketInode,
} from "./proc-stat.js";

export interface CpuRoot {
  pid: number;
  role: Role;
}

export interface CpuSampler {
  /** Takes the last reading and returns the stretch's budget. */
  stop(): CpuBudget;
}

export function cpuSamplingAvailable(): boolean {
  return existsSync("/proc/self/stat") && existsSync(`/proc/self/task/${process.pid}/children`);
}

let clockTicks: number | undefined;
/** `getconf CLK_TCK`: the unit of /proc's CPU times (100 on Linux: 10 ms). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      clockTicks = NaN;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

const read = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // the process went meanwhile
  }
};

/**
 * A process's context switches: the sum over the threads it has now (null if it went meanwhile).
 * Linux keeps no per-process total that a reader can see, so a thread that ended takes its count
 * with it; the long-lived threads (event loops, Erlang schedulers) are what the figure is for.
 */
function readSwitches(pid: number): number | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let sum = 0;
  for (const tid of tids)
    sum += parseThreadSwitches(read(`/proc/${pid}/task/${tid}/status`) ?? "") ?? 0;
  return sum;
}

/**
 * Every process of the roots' trees, read now; the roles of processes seen before are cached.
 * With `withSwitches`, each process's context switches too (a file per thread: read less often).
 */
function readTrees(
  roots: readonly CpuRoot[],
  roles: Map<string, Role>,
  withSwitches: boolean,
): ProcessReading[] {
  const out: ProcessReading[] = [];
  const visit = (pid: number, rootRole: Role, isRoot: boolean) => {
    const line = read(`/proc/${pid}/stat`);
    const stat = line ? parseProcStat(line) : null;
    if (!stat) return;
    const key = `${pid}/${stat.starttime}`;
    let role = roles.get(key);
    if (!role) {
      role = isRoot ? rootRole : roleOf(read(`/proc/${pid}/cmdline`) ?? "", rootRole);
      roles.set(key, role);
    }
    const switches = withSwitches ? readSwitches(pid) : null;
    const ioCalls = parseIoCalls(read(`/proc/${pid}/io`) ?? "");
    out.push({
      pid,
      ppid: stat.ppid,
      starttime: stat.starttime,
      role,
      ticks: stat.utime + stat.stime,
      childTicks: stat.cutime + stat.cstime,
      ...(switches === null ? {} : { switches }),
      ...(ioCalls === null ? {} : { ioCalls }),
    });
    for (const child of parseChildren(read(`/proc/${pid}/task/${pid}/children`) ?? ""))
      visit(child, rootRole, false);
  };
  for (const root of roots) visit(root.pid, root.role, true);
  return out;
}

/**
 * Reads every `everyMs`; each process's context switches (a file per thread, dozens for
 * RabbitMQ) only every `switchesEvery`-th reading and at the first and last, so a process that
 * exits counts the switches of its last such reading.
 */
export function startCpuSampler(
  roots: readonly CpuRoot[],
  everyMs = 100,
  switchesEvery = 10,
): CpuSampler {
  const tally = new CpuTally(clockTicksPerSecond());
  const roles = new Map<string, Role>();
  let count = 0;
  const sample = (last = false) => {
    const withSwitches = last || count++ % switchesEvery === 0;
    tally.add(
      performance.now(),
      readTrees(roots, roles, withSwitches),
      // Only its first and last values count; read it with the processes' switches.
      withSwitches ? parseContextSwitches(read("/proc/stat") ?? "") : null,
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample(true);
      return tally.budget();
    },
  };
}

/**
 * The pid of the process listening on `port` on this machine (RabbitMQ's beam.smp for the AMQP
 * port), or null when it cannot be told (another user's process without root, another host).
 */
export function pidListeningOn(port: number): number | null {
  const inodes = new Set(
    ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((t) => listeningInodes(read(t) ?? "", port)),
  );
  if (!inodes.size) return null;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = socketInode(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (inode !== null && inodes.has(inode)) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}
