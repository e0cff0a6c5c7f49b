/**
 * The CPU budget of a stretch of the run, from /proc readings of every process of the system:
 * which process spent how much CPU between the first reading and the last, grouped by role, and
 * per processed event. Pure: the readings come from cpu-sampler.ts.
 *
 * Processes that start or stop mid-stretch count too:
 * - one first seen after the first reading was born during the stretch: all its CPU counts;
 * - one gone by the last reading counts up to its last reading, and what it spent after that
 *   (its last < one sampling period, and any child it had reaped meanwhile) is recovered from its
 *   parent: a parent's cutime + cstime grows by the whole CPU of each child it reaps (proc(5)), so
 *   Δ(parent's child time) − Σ(last reading of its children that went) is what they spent unseen.
 *   That part has no role of its own: it is a row of its own, and in the total. Exact for children
 *   of a process that lives through the stretch (the platform's replicas and dispatchers); deeper
 *   descendants that exit count up to their last reading.
 */

export const ROLES = [
  "dispatchers",
  "RabbitMQ",
  "ingress",
  "platform",
  "consumers",
  "dead-letter sink",
] as const;
export type Role = (typeof ROLES)[number];

/** One process as read at one moment. */
export interface ProcessReading {
  pid: number;
  ppid: number;
  starttime: number;
  role: Role;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** cutime + cstime: CPU of its reaped children, clock ticks. */
  childTicks: number;
  /**
   * Context switches of all its threads since it started (voluntary and preempted); absent when
   * not read at this reading (the sampler reads them less often than CPU: many files per process).
   */
  switches?: number;
  /**
   * Read and write system calls since it started (/proc/<pid>/io, proc-stat.ts `parseIoCalls`);
   * absent when it could not be read.
   */
  ioCalls?: number;
}

export interface RoleCpu {
  role: Role | "exited between samples";
  /** Distinct processes seen during the stretch. */
  processes: number;
  cpuSeconds: number;
  /**
   * Context switches of the role's processes during the stretch (born ones from zero; one that
   * exited up to its last reading of them); null when none was read.
   */
  contextSwitches: number | null;
  /**
   * Read and write system calls of the role's processes during the stretch (born ones from zero,
   * one that exited up to its last reading); null when none could be read. On this VM a write to a
   * loopback socket runs the receiver's side of TCP too, so each hop an event takes shows here.
   */
  ioCalls: number | null;
}

export interface CpuBudget {
  clockTicksPerSecond: number;
  /** Readings taken, first and last included. */
  readings: number;
  wallSeconds: number;
  /** Every role (zero when none of its processes ran), then the unseen exits. */
  roles: RoleCpu[];
  totalCpuSeconds: number;
  /**
   * Context switches of the whole machine between the first reading and the last (every process
   * and thread, the load generator's and anything else running included); null if not read. On a
   * virtual machine each wake-up can cost far more than the work it wakes for, so this says how
   * much of the CPU is waking up: fewer, fuller wake-ups per event cost less.
   */
  contextSwitches: number | null;
}

interface Tracked {
  role: Role;
  pid: number;
  ppid: number;
  first: ProcessReading | null;
  last: ProcessReading;
  /** Switches at the stretch's start (0 for one born during it) and as last read; null: unknown. */
  firstSwitches: number | null;
  lastSwitches: number | null;
  alive: boolean;
}

/**
 * Feeds readings in order: the first call is the start of the stretch, every later one may be the
 * end. `budget()` is the stretch so far.
 */
export class CpuTally {
  private readonly tracked = new Map<string, Tracked>();
  private readings = 0;
  private firstAt = 0;
  private lastAt = 0;
  private firstSwitches: number | null = null;
  private lastSwitches: number | null = null;

  constructor(private readonly clockTicksPerSecond: number) {}

  /**
   * All processes of the system as read at `atMs` (any clock, milliseconds), and the machine's
   * context switches since boot (/proc/stat `ctxt`) if read this time (null: not read; the last
   * value read stands).
   */
  add(
    atMs: number,
    snapshot: readonly ProcessReading[],
    contextSwitches: number | null = null,
  ): void {
    const first = this.readings++ === 0;
    if (first) {
      this.firstAt = atMs;
      this.firstSwitches = contextSwitches;
    }
    this.lastAt = atMs;
    if (contextSwitches !== null) this.lastSwitches = contextSwitches;
    for (const t of this.tracked.values()) t.alive = false;
    for (const r of snapshot) {
      const key = `${r.pid}/${r.starttime}`;
      const t = this.tracked.get(key);
      if (t) {
        t.last = r;
        t.alive = true;
        if (r.switches !== undefined) t.lastSwitches = r.switches;
      } else
        this.tracked.set(key, {
          role: r.role,
          pid: r.pid,
          ppid: r.ppid,
          first: first ? r : null,
          last: r,
          firstSwitches: first ? (r.switches ?? null) : 0,
          lastSwitches: r.switches ?? null,
          alive: true,
        });
    }
  }

  budget(): CpuBudget {
    const ticks = new Map<Role, number>(ROLES.map((r) => [r, 0]));
    const processes = new Map<Role, number>(ROLES.map((r) => [r, 0]));
    const switches = new Map<Role, number | null>(ROLES.map((r) => [r, null]));
    const ioCalls = new Map<Role, number | null>(ROLES.map((r) => [r, null]));
    for (const t of this.tracked.values()) {
      const firstIo = t.first ? t.first.ioCalls : 0;
      if (firstIo !== undefined && t.last.ioCalls !== undefined)
        ioCalls.set(t.role, (ioCalls.get(t.role) ?? 0) + t.last.ioCalls - firstIo);
      ticks.set(t.role, ticks.get(t.role)! + t.last.ticks - (t.first?.ticks ?? 0));
      processes.set(t.role, processes.get(t.role)! + 1);
      if (t.firstSwitches !== null && t.lastSwitches !== null)
        switches.set(t.role, (switches.get(t.role) ?? 0) + t.lastSwitches - t.firstSwitches);
    }
    // What children that went spent after their last reading, from the parents that reaped them.
    let unseen = 0;
    let unseenProcesses = 0;
    const all = [...this.tracked.values()];
    for (const parent of all) {
      if (!parent.alive || !parent.first) continue;
      const gone = all.filter((c) => !c.alive && c.ppid === parent.pid);
      if (!gone.length) continue;
      const reaped = parent.last.childTicks - parent.first.childTicks;
      const seen = gone.reduce((a, c) => a + c.last.ticks + c.last.childTicks, 0);
      unseen += Math.max(0, reaped - seen);
      unseenProcesses += gone.length;
    }
    const seconds = (n: number) => n / this.clockTicksPerSecond;
    const roles: RoleCpu[] = [
      ...ROLES.map((role) => ({
        role,
        processes: processes.get(role)!,
        cpuSeconds: seconds(ticks.get(role)!),
        contextSwitches: switches.get(role)!,
        ioCalls: ioCalls.get(role)!,
      })),
      {
        role: "exited between samples",
        processes: unseenProcesses,
        cpuSeconds: seconds(unseen),
        contextSwitches: null,
        ioCalls: null,
      },
    ];
    return {
      clockTicksPerSecond: this.clockTicksPerSecond,
      readings: this.readings,
      wallSeconds: (this.lastAt - this.firstAt) / 1000,
      roles,
      totalCpuSeconds: roles.reduce((a, r) => a + r.cpuSeconds, 0),
      contextSwitches:
        this.firstSwitches !== null && this.lastSwitches !== null
          ? this.lastSwitches - this.firstSwitches
          : null,
    };
  }
}

/**
 * The role of a process of the platform's tree, from its command line (NUL-separated argv, as
 * /proc/<pid>/cmdline holds it). The platform runs each function's bundle
 * (`dist/functions/<name>.js`) and each dispatcher (`dist/platform/dispatcher-main.js`) as a
 * child; a private RabbitMQ node it starts is RabbitMQ's.
 */
export function roleOf(cmdline: string, rootRole: Role): Role {
  const argv = cmdline.split("\0").filter((a) => a !== "");
  const exe = (argv[0] ?? "").split("/").pop() ?? "";
  if (/^(beam(\.smp)?|erl_child_setup|inet_gethost|epmd|erl)$/.test(exe)) return "RabbitMQ";
  if (rootRole === "RabbitMQ") return "RabbitMQ";
  const script = argv.slice(1).find((a) => /\.m?js$/.test(a)) ?? "";
  if (/(^|\/)dispatcher-main\.m?js$/.test(script)) return "dispatchers";
  const fn = /(^|\/)functions\/([^/]+?)(\/main)?\.m?js$/.exec(script)?.[2];
  if (fn === "ingress") return "ingress";
  if (fn === "dead-letters") return "dead-letter sink";
  if (fn) return "consumers";
  return "platform";
}

export interface BudgetRow {
  role: RoleCpu["role"];
  processes: number;
  cpuSeconds: number;
  /** CPU per processed event, microseconds. */
  usPerEvent: number;
}

/** The budget per processed event, role by role, and the total. */
export function perEvent(
  budget: CpuBudget,
  events: number,
): { rows: BudgetRow[]; totalUsPerEvent: number } {
  const us = (s: number) => (events > 0 ? (s * 1e6) / events : NaN);
  return {
    rows: budget.roles.map((r) => ({ ...r, usPerEvent: us(r.cpuSeconds) })),
    totalUsPerEvent: us(budget.totalCpuSeconds),
  };
}
