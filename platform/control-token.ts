/**
 * The token that every state-changing call to the local control API must carry. Generated into
 * the state directory at first start, readable only by its owner (mode 0600), so that another
 * user of the machine (or a web page making requests to 127.0.0.1) cannot change anything.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "./state-dir.js";

export function tokenPath(stateDir: string): string {
  return join(stateDir, "control-token");
}

export function ensureControlToken(stateDir: string): string {
  const path = tokenPath(stateDir);
  ensureStateDir(stateDir);
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    return readFileSync(path, "utf8").trim();
  }
  const token = randomBytes(32).toString("hex");
  writeFileSync(path, token + "\n", { mode: 0o600, flag: "wx" });
  return token;
}

export function readControlToken(stateDir: string): string | undefined {
  try {
    return readFileSync(tokenPath(stateDir), "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Constant-time comparison of an `Authorization: Bearer <token>` header with the token. */
export function authorized(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
