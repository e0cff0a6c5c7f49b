/**
 * Follows the sampling switch file while the process runs. Two mechanisms, because neither is
 * enough alone: fs.watch on the directory reacts at once, and a directory (not file) watch is what
 * survives rename-into-place, which both `leveler sampling` and the kubelet's ConfigMap update
 * (an atomic `..data` symlink swap) do; a stat catches what inotify misses. Where the directory
 * could not be watched (not there at start, or the watch failed) the stat is the mechanism and
 * runs every `pollMs`; while the watch stands it is a safety net (a network file system whose
 * watch never fires) and runs every `safetyPollMs`: every wake-up of an idle process costs CPU
 * (four idle consumer replicas for 60 s: 1.46 ms a second each with the stat every 500 ms, 0.75
 * with it every 10 s). A change reaches `onChange` at once where the file system reports it,
 * within `safetyPollMs` where it does not.
 *
 * A bad file keeps the last good value in force and logs one line (once per distinct error).
 */
import { readFileSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { parseSamplingSwitch, type SamplingSettings } from "./sampling-switch.js";

export interface SamplingSwitchWatcherOptions {
  path: string;
  onChange: (settings: SamplingSettings) => void;
  log: (line: string) => void;
  /** The stat's period with no directory watch (default 500 ms). */
  pollMs?: number;
  /** The stat's period while the directory is watched (default 10 s). */
  safetyPollMs?: number;
}

export interface SamplingSwitchWatcher {
  /** The settings read at start, if the file was there and valid. */
  readonly initial: SamplingSettings | undefined;
  /** Reads the file now (what the watch and the poll call). */
  check(): void;
  stop(): void;
}

export function watchSamplingSwitch(options: SamplingSwitchWatcherOptions): SamplingSwitchWatcher {
  let lastText: string | undefined;
  let lastStamp = "";
  let lastError = "";
  let watcher: FSWatcher | undefined;

  const read = (): SamplingSettings | undefined => {
    let text: string;
    try {
      const stat = statSync(options.path);
      // The inode changes on rename-into-place; mtime and size on an in-place write.
      const stamp = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      if (stamp === lastStamp) return undefined;
      lastStamp = stamp;
      text = readFileSync(options.path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      report(
        code === "ENOENT"
          ? `sampling switch file ${options.path} not found; sampler ratio unchanged`
          : `cannot read sampling switch file ${options.path}: ${(err as Error).message}`,
      );
      lastStamp = "";
      return undefined;
    }
    if (text === lastText) return undefined;
    try {
      const settings = parseSamplingSwitch(text);
      lastText = text;
      lastError = "";
      return settings;
    } catch (err) {
      report(
        `sampling switch file ${options.path} ignored, last good value stays: ${(err as Error).message}`,
      );
      return undefined;
    }
  };
  const report = (line: string) => {
    if (line !== lastError) options.log(line);
    lastError = line;
  };
  const check = () => {
    const settings = read();
    if (settings) options.onChange(settings);
  };

  const initial = read();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = (ms: number) => {
    if (stopped) return;
    clearInterval(timer);
    timer = setInterval(check, ms);
    timer.unref();
  };
  try {
    const name = basename(options.path);
    watcher = watch(dirname(options.path), { persistent: false }, (_event, file) => {
      // Kubernetes swaps `..data`, not the file's own name; any entry of ours may matter.
      if (!file || file === name || file.startsWith("..")) check();
    });
    watcher.on("error", () => {
      watcher?.close();
      watcher = undefined;
      poll(options.pollMs ?? 500);
    });
  } catch {
    // No such directory yet: the poll alone will find the file when it appears.
  }
  poll(watcher ? (options.safetyPollMs ?? 10_000) : (options.pollMs ?? 500));

  return {
    initial,
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
