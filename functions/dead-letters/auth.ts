/**
 * The operators' API is behind a bearer token, never open. The token comes from the environment
 * or a mounted Secret's file (read at each request, so a rotated Secret takes effect without a
 * restart). Comparison is constant-time: both sides are hashed to 32 bytes first, so neither the
 * content nor the length of the expected token leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

export type AuthResult = "ok" | "unconfigured" | "denied";

/** Reads the expected token: the explicit value, else the file's content (trimmed), else none. */
export function tokenSource(token: string | undefined, file: string): () => string | undefined {
  return () => {
    if (token) return token;
    try {
      const text = readFileSync(file, "utf8").trim();
      return text || undefined;
    } catch {
      return undefined;
    }
  };
}

/** Checks an `Authorization` header against the expected token. */
export function checkBearer(header: string | undefined, expected: string | undefined): AuthResult {
  if (!expected) return "unconfigured";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return "denied";
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(match[1]!), digest(expected)) ? "ok" : "denied";
}
