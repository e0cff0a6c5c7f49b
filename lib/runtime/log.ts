/**
 * A process's log: one line per call, `[<prefix>] <line>`. Lines often quote what a client or a
 * subscriber sent (event ids, types, error text): they are printed through `printable`, so none
 * can forge a log line or drive a terminal.
 */
import { printable } from "../printable.js";

export function lineLogger(
  prefix: string,
  write: (line: string) => void = (line) => console.log(line),
): (line: string) => void {
  return (line) => write(`[${prefix}] ${printable(line)}`);
}
