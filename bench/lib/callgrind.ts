/**
 * A Node process run under valgrind's callgrind for counting its instructions over a window, as
 * bench:instructions (the ingress) and bench:dispatch --instructions (a dispatcher) use it.
 *
 * The process starts uninstrumented (`--instr-atstart=no`): start-up and warm-up cost nothing to
 * the count. A window is: a full GC, counters zeroed (`callgrind_control -z`), the work, a full GC,
 * counters dumped (`-d`), so it pays for collecting its own garbage and inherits none. The full
 * GCs come from a preload written here and loaded with `--require` (the bundle is untouched): with
 * --expose-gc, a GC on SIGUSR2 and then a line in a marker file, which the bench waits for.
 *
 * What it counts is user space only: the kernel's work for the process's system calls is not in
 * it. A change that moves work into or out of the kernel (how many writes, how many sockets) must be
 * weighed in CPU time too. Seen: undici's `request` in place of node:http in the dispatcher, 0.96 of
 * the instructions and 1.10 of the CPU time (its system time 18 -> 22 %).
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Counted {
  name: string;
  child: ChildProcess;
  /** callgrind's dumps: `<out>.1`, `<out>.2`, ... */
  out: string;
  /** A line per full GC the preload ran. */
  gcMarker: string;
}

/** Exits with one line when valgrind or callgrind_control is missing. */
export function requireCallgrind(command: string): void {
  for (const tool of ["valgrind", "callgrind_control"])
    if (spawnSync(tool, ["--version"]).error) {
      console.error(`${command}: ${tool} is not installed (Debian: apt-get install valgrind)`);
      process.exit(2);
    }
}

/**
 * Starts `script` (with `nodeArgs` before it) under callgrind, uninstrumented; its files go to
 * `dir`, named after `id`. `stdio` as for spawn (an "ipc" entry gives the script its IPC channel:
 * valgrind passes the descriptor and NODE_CHANNEL_FD on to Node).
 */
export function startCounted(options: {
  name: string;
  id: string;
  dir: string;
  script: string;
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}): Counted {
  const { dir, id } = options;
  const preload = join(dir, "gc-on-signal.cjs");
  if (!existsSync(preload))
    writeFileSync(
      preload,
      `process.on("SIGUSR2", () => { globalThis.gc(); require("node:fs").appendFileSync(process.env.LEVELER_BENCH_GC_MARKER, "gc\\n"); });\n`,
    );
  const out = join(dir, `callgrind-${id}.out`);
  const gcMarker = join(dir, `gc-${id}.log`);
  writeFileSync(gcMarker, "");
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      // Its banner and summary would interleave with the process's own stderr.
      "--quiet",
      "--instr-atstart=no",
      `--callgrind-out-file=${out}`,
      process.execPath,
      ...(options.nodeArgs ?? []),
      "--expose-gc",
      "--require",
      preload,
      options.script,
    ],
    {
      env: { ...options.env, LEVELER_BENCH_GC_MARKER: gcMarker },
      stdio: options.stdio ?? ["ignore", "ignore", "ignore"],
    },
  );
  return { name: options.name, child, out, gcMarker };
}

/** A full GC in the process, waited for. */
export async function fullGc(counted: Counted): Promise<void> {
  const done = () => readFileSync(counted.gcMarker, "utf8").length;
  const before = done();
  counted.child.kill("SIGUSR2");
  const deadline = Date.now() + 60_000;
  while (done() === before) {
    if (Date.now() > deadline) throw new Error(`${counted.name}: no full GC within 60 s`);
    await sleep(100);
  }
}

/** `callgrind_control <command> <pid>`: `-i on` instruments, `-z` zeroes, `-d` dumps. */
export function callgrindControl(counted: Counted, command: string[]): void {
  const r = spawnSync("callgrind_control", [...command, String(counted.child.pid)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`callgrind_control ${command.join(" ")}: ${r.stderr}`);
}

/** The instructions in the latest dump. */
export function lastDump(counted: Counted): number {
  const prefix = `${basename(counted.out)}.`;
  const dumps = readdirSync(dirname(counted.out))
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)))
    .sort((a, b) => b - a);
  const text = readFileSync(`${counted.out}.${dumps[0]}`, "utf8");
  return Number(/^totals:\s+(\d+)/m.exec(text)?.[1] ?? /^summary:\s+(\d+)/m.exec(text)?.[1]);
}

/** Instructions spent in `work`, between full GCs (see above). */
export async function countWindow(counted: Counted, work: () => Promise<void>): Promise<number> {
  await fullGc(counted);
  callgrindControl(counted, ["-z"]);
  await work();
  await fullGc(counted);
  callgrindControl(counted, ["-d"]);
  return lastDump(counted);
}
