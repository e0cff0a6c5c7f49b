import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeSamplingSwitchFile, type SamplingSettings } from "./sampling-switch.js";
import { watchSamplingSwitch, type SamplingSwitchWatcher } from "./sampling-switch-watcher.js";

describe("watchSamplingSwitch", () => {
  let watcher: SamplingSwitchWatcher | undefined;
  afterEach(() => watcher?.stop());

  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), "leveler-watch-"));
    const path = join(dir, "config.yaml");
    const seen: SamplingSettings[] = [];
    const logged: string[] = [];
    return {
      path,
      seen,
      logged,
      start: () =>
        (watcher = watchSamplingSwitch({
          path,
          onChange: (s) => seen.push(s),
          log: (l) => logged.push(l),
        })),
    };
  };

  it("reads the file at start and each change after it; a bad file keeps the last good value and logs once", () => {
    const t = setup();
    writeSamplingSwitchFile(t.path, { samplerRatio: 0.1 });
    const w = t.start();
    expect(w.initial).toEqual({ samplerRatio: 0.1 });
    writeSamplingSwitchFile(t.path, { samplerRatio: 0.5 });
    w.check();
    writeFileSync(t.path, "samplerRatio: 2\n");
    w.check();
    writeFileSync(t.path, "samplerRatio: abc\n");
    w.check();
    w.check();
    expect(t.seen.at(-1)).toEqual({ samplerRatio: 0.5 });
    expect(t.logged.filter((l) => /ignored, last good value stays/.test(l))).toHaveLength(2);
    writeSamplingSwitchFile(t.path, { samplerRatio: 0 });
    w.check();
    expect(t.seen.at(-1)).toEqual({ samplerRatio: 0 });
  });

  it("notices a file replaced by rename, and one that appears after start, by itself", async () => {
    const t = setup();
    const w = t.start();
    expect(w.initial).toBeUndefined();
    expect(t.logged).toEqual([expect.stringMatching(/not found/)]);
    writeSamplingSwitchFile(t.path, { samplerRatio: 0.25 });
    await vi.waitFor(() => expect(t.seen.at(-1)).toEqual({ samplerRatio: 0.25 }), {
      timeout: 10_000,
    });
    writeSamplingSwitchFile(t.path, { samplerRatio: 1 });
    await vi.waitFor(() => expect(t.seen.at(-1)).toEqual({ samplerRatio: 1 }), { timeout: 10_000 });
  });
});
