import { chmodSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureControlToken } from "./control-token.js";
import { ensureStateDir } from "./state-dir.js";

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("the state directory is its owner's alone", () => {
  it("is created 0700, parents included, whatever the umask", () => {
    const previous = process.umask(0o022);
    try {
      const path = join(mkdtempSync(join(tmpdir(), "leveler-state-")), "a", ".leveler");
      const lines: string[] = [];
      ensureStateDir(path, (l) => lines.push(l));
      expect(modeOf(path)).toBe(0o700);
      expect(lines).toEqual([]);
    } finally {
      process.umask(previous);
    }
  });

  it("the control token's first call creates it 0700 too", () => {
    const path = join(mkdtempSync(join(tmpdir(), "leveler-state-")), ".leveler");
    ensureControlToken(path);
    expect(modeOf(path)).toBe(0o700);
    expect(modeOf(join(path, "control-token"))).toBe(0o600);
  });

  it("an existing directory open to others is tightened, with one line saying so", () => {
    const path = join(mkdtempSync(join(tmpdir(), "leveler-state-")), ".leveler");
    mkdirSync(path);
    chmodSync(path, 0o755);
    const lines: string[] = [];
    ensureStateDir(path, (l) => lines.push(l));
    expect(modeOf(path)).toBe(0o700);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("was 0755: now 0700");
  });
});
