import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metrics } from "@opentelemetry/api";
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeSamplingSwitchFile, type SamplingSettings } from "./sampling-switch.js";
import { watchSamplingSwitch, type SamplingSwitchWatcher } from "./sampling-switch-watcher.js";
import { startTelemetry } from "./telemetry.js";

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

  it("polls every 500 ms where the directory cannot be watched (not there at start)", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const dir = join(mkdtempSync(join(tmpdir(), "leveler-watch-")), "later");
      const path = join(dir, "config.yaml");
      const seen: SamplingSettings[] = [];
      watcher = watchSamplingSwitch({ path, onChange: (s) => seen.push(s), log: () => undefined });
      mkdirSync(dir);
      writeSamplingSwitchFile(path, { samplerRatio: 0.5 });
      vi.advanceTimersByTime(499);
      expect(seen).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(seen).toEqual([{ samplerRatio: 0.5 }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a process applies a change the watch missed within the safety period (10 s), by the poll alone", async () => {
    // Only the interval is faked: the poll runs exactly when the test advances the clock, and
    // fs.watch cannot step in, because its events wait for the event loop, which synchronous
    // code never yields to. So this is a change the watch did not report (a network file system).
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const t = setup();
    writeSamplingSwitchFile(t.path, { samplerRatio: 0.5 });
    const logged: string[] = [];
    // The whole path of a function: the watcher feeds the live sampler (default ratio 0).
    const telemetry = startTelemetry({
      config: {
        disabled: false,
        configFile: t.path,
        tracesDir: undefined,
        otlpEndpoint: undefined,
        serviceName: undefined,
        parentBased: true,
        initialRatio: 0,
        batch: {},
      },
      service: "watcher-test",
      version: "0",
      meter: metrics.getMeter("watcher-test"),
      log: (l) => logged.push(l),
    });
    try {
      expect(telemetry.sampler.ratio).toBe(0.5);

      writeSamplingSwitchFile(t.path, { samplerRatio: 0.25 });
      vi.advanceTimersByTime(9_999);
      expect(telemetry.sampler.ratio).toBe(0.5);
      vi.advanceTimersByTime(1);
      expect(telemetry.sampler.ratio).toBe(0.25);

      // A bad file, then no file: the last good value (0.25, not the default 0) stays, and each
      // problem is logged once however many polls see it.
      writeFileSync(t.path, "samplerRatio: abc\n");
      vi.advanceTimersByTime(20_000);
      expect(telemetry.sampler.ratio).toBe(0.25);
      rmSync(t.path);
      vi.advanceTimersByTime(20_000);
      expect(telemetry.sampler.ratio).toBe(0.25);
      expect(logged.filter((l) => /ignored, last good value stays/.test(l))).toHaveLength(1);
      expect(logged.filter((l) => /not found; sampler ratio unchanged/.test(l))).toHaveLength(1);

      // A good file again: applied within the next period.
      writeSamplingSwitchFile(t.path, { samplerRatio: 1 });
      vi.advanceTimersByTime(10_000);
      expect(telemetry.sampler.ratio).toBe(1);
    } finally {
      await telemetry.shutdown();
      vi.useRealTimers();
    }
  });
});
