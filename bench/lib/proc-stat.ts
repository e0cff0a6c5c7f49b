/**
 * Pure parsers of what Linux's /proc says about CPU time and sockets (proc(5)), for the CPU
 * budget: no file is read here.
 *
 * - `/proc/<pid>/stat`: one line; field 2 is `(comm)`, which may itself hold spaces and
 *   parentheses, so the fields are counted from the last `)`. CPU times are in clock ticks
 *   (`getconf CLK_TCK`, 100 on Linux: 10 ms resolution).
 * - `/proc/<pid>/task/<tid>/status`: one thread's `voluntary_ctxt_switches` (it went to sleep)
 *   and `nonvoluntary_ctxt_switches` (it was preempted); a process's switches are its threads'.
 * - `/proc/stat`: the machine's counters; its `ctxt` line counts every context switch since boot,
 *   of every process and thread (a process that sleeps and wakes switches twice).
 * - `/proc/net/tcp` and `tcp6`: one socket a line; the listening ones (state 0A) name the inode
 *   that `/proc/<pid>/fd/*` links to as `socket:[inode]`, which is how a port leads to its
 *   process (RabbitMQ's beam.smp) without `ss` or `lsof`.
 */

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z (zombie: exited, not yet reaped), … */
  state: string;
  ppid: number;
  /** User and system CPU of the process itself, in clock ticks. */
  utime: number;
  stime: number;
  /** CPU of its children that exited and were waited for (reaped), in clock ticks. */
  cutime: number;
  cstime: number;
  /** Clock ticks after boot when the process started: with the pid, names one process for good. */
  starttime: number;
}

/** One `/proc/<pid>/stat` line, or null if it is not one. */
export function parseProcStat(line: string): ProcStat | null {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  // Fields from 3 (state) on; proc(5) numbers them from 1, so field k is rest[k - 3].
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  if (!Number.isInteger(pid) || rest.length < 20) return null;
  const field = (k: number) => Number(rest[k - 3]);
  const stat: ProcStat = {
    pid,
    comm: line.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    starttime: field(22),
  };
  const numbers = [stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime, stat.starttime];
  return numbers.every(Number.isFinite) ? stat : null;
}

/** `/proc/<pid>/task/<pid>/children`: the pids of the process's children, space-separated. */
export function parseChildren(text: string): number[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== "")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** The inodes of the sockets listening on `port` in a `/proc/net/tcp` or `tcp6` table. */
export function listeningInodes(table: string, port: number): number[] {
  const out: number[] = [];
  for (const line of table.split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const localPort = parseInt(f[1]!.split(":")[1] ?? "", 16);
    if (f[3] === "0A" && localPort === port) out.push(Number(f[9]));
  }
  return out.filter((n) => Number.isInteger(n) && n > 0);
}

/** The inode a `/proc/<pid>/fd/<n>` link names, if it is a socket (`socket:[12345]`). */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/** A thread's context switches, voluntary and not, from its `status` text; null without them. */
export function parseThreadSwitches(status: string): number | null {
  const voluntary = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
  const preempted = /^nonvoluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
  return voluntary && preempted ? Number(voluntary[1]) + Number(preempted[1]) : null;
}

/** The `ctxt` count of a `/proc/stat` text: context switches since boot, or null without one. */
export function parseContextSwitches(procStat: string): number | null {
  const match = /^ctxt (\d+)$/m.exec(procStat);
  return match ? Number(match[1]) : null;
}

/**
 * Read and write system calls a process made since it started, from its `/proc/<pid>/io` text
 * (`syscr` + `syscw`: the read(2) and write(2) families, readv/writev and pread/pwrite included;
 * recv(2)/send(2) and their msg forms are not counted there); null without them (another user's
 * process without the right to read it).
 */
export function parseIoCalls(io: string): number | null {
  const reads = /^syscr:\s+(\d+)$/m.exec(io);
  const writes = /^syscw:\s+(\d+)$/m.exec(io);
  return reads && writes ? Number(reads[1]) + Number(writes[1]) : null;
}
