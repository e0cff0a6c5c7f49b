/**
 * The state directory (`.leveler/` by default) holds the control token, the private broker's
 * credentials and message store, every process's log and the local traces: it is for its owner
 * alone. It is created 0700 by the first call that needs it, and checked at every start.
 *
 * A directory that already exists with group or other access (made by an older version, by
 * `mkdir`, or under a permissive umask) is tightened to 0700 with one line saying so, as the
 * files in it are secrets a user expects private; a directory owned by someone else is refused.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { ConfigError } from "../lib/runtime/config.js";

export const STATE_DIR_MODE = 0o700;

/**
 * Makes sure `path` exists, is ours and is 0700; returns it.
 *
 * ```ts
 * ensureStateDir(config.stateDir, log); // "state directory .leveler was 0755: now 0700 (...)"
 * ```
 */
export function ensureStateDir(
  path: string,
  log: (line: string) => void = () => undefined,
): string {
  // `mode` applies to every directory `recursive` creates (less the umask, which never adds bits).
  mkdirSync(path, { recursive: true, mode: STATE_DIR_MODE });
  const stat = statSync(path);
  if (!stat.isDirectory()) throw new ConfigError(`state directory ${path} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    throw new ConfigError(
      `state directory ${path} belongs to uid ${stat.uid}, not to you (uid ${uid}): use your own (LEVELER_STATE_DIR)`,
    );
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    chmodSync(path, STATE_DIR_MODE);
    log(
      `state directory ${path} was ${octal(mode)}: now ${octal(STATE_DIR_MODE)} (it holds the control token, the broker's credentials, logs and traces)`,
    );
  }
  return path;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
