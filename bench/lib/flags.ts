/**
 * A benchmark's command-line flags, read with node:util's parseArgs. A flag it does not know, or
 * one given without its value, is a mistake the user can fix: one line naming it, exit 2, not
 * parseArgs' stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export function readFlags<const T extends ParseArgsConfig["options"]>(
  command: string,
  options: T,
  args: string[] = process.argv.slice(2),
) {
  try {
    return parseArgs({ args, options, strict: true }).values;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code?.startsWith("ERR_PARSE_ARGS_")) throw err;
    console.error(`${command}: ${(err as Error).message}`);
    process.exit(2);
  }
}

/**
 * A flag's value as a whole number of at least `min`; anything else is one line naming the flag,
 * exit 2 (a NaN count would otherwise run nothing, or wait for ever).
 */
export function wholeNumber(command: string, name: string, value: string, min = 1): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    console.error(
      `${command}: --${name} must be a whole number${min > 0 ? ` of at least ${min}` : ""}, not ${JSON.stringify(value)}`,
    );
    process.exit(2);
  }
  return n;
}
