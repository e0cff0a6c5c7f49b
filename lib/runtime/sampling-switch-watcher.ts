/**
 * Follows the sampling switch file while the process runs. Two mechanisms, because neither is
 * enough alone: fs.watch on the directory reacts at once, and a directory (not file) watch is what
 * survives rename-into-place, which both `leveler sampling` and the kubelet's ConfigMap update
 * (an atomic `..data` symlink swap) do; a stat every `pollMs` catches what inotify misses
 * (network file systems, a directory created after start). A change reaches `onChange` within
 * `pollMs` at worst.
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
  pollMs?: number;
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
  try {
    const name = basename(options.path);
    watcher = watch(dirname(options.path), { persistent: false }, (_event, file) => {
      // Kubernetes swaps `..data`, not the file's own name; any entry of ours may matter.
      if (!file || file === name || file.startsWith("..")) check();
    });
    watcher.on("error", () => watcher?.close());
  } catch {
    // No such directory yet: the poll alone will find the file when it appears.
  }
  const timer = setInterval(check, options.pollMs ?? 500);
  timer.unref();

  return {
    initial,
    check,
    stop() {
      clearInterval(timer);
      watcher?.close();
    },
  };
}
