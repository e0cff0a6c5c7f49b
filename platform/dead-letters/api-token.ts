/**
 * The bearer token of the dead-letter sink's operator API (functions/dead-letters), locally: the
 * platform generates it into the state directory at first start (mode 0600, as the control token)
 * and hands it to the sink as `DEAD_LETTERS_TOKEN`; on a cluster it is the Secret
 * `dead-letters-token`. Reused across starts, so a running sink and the CLI agree.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "../state-dir.js";

export function deadLettersTokenPath(stateDir: string): string {
  return join(stateDir, "dead-letters-token");
}

export function ensureDeadLettersToken(stateDir: string): string {
  const path = deadLettersTokenPath(stateDir);
  ensureStateDir(stateDir);
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    const token = readFileSync(path, "utf8").trim();
    if (token) return token;
  }
  const token = randomBytes(32).toString("hex");
  writeFileSync(path, token + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}
