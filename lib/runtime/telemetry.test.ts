import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metrics } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { readTelemetryConfig } from "./config.js";
import { writeSamplingSwitchFile } from "./sampling-switch.js";
import { startTelemetry, type TelemetryOptions } from "./telemetry.js";

/**
 * Telemetry at sampler ratio `ratio` (from its switch file). With neither a traces directory nor
 * an OTLP endpoint, the SDK says so in one line as it starts: that line is how these tests see
 * that it loaded.
 */
function start(ratio: number, loadSdkOn?: TelemetryOptions["loadSdkOn"]) {
  const configFile = join(mkdtempSync(join(tmpdir(), "leveler-telemetry-")), "config.yaml");
  writeSamplingSwitchFile(configFile, { samplerRatio: ratio });
  const logged: string[] = [];
  const telemetry = startTelemetry({
    // A function's reading of an environment that names only the switch file.
    config: readTelemetryConfig({ LEVELER_TELEMETRY_CONFIG: configFile }),
    service: "telemetry-test",
    version: "0",
    meter: metrics.getMeter("telemetry-test"),
    log: (line) => logged.push(line),
    ...(loadSdkOn ? { loadSdkOn } : {}),
  });
  const sdkStarts = () => logged.filter((l) => l.startsWith("tracing has no exporter")).length;
  return { telemetry, sdkStarts };
}

describe("startTelemetry", () => {
  it("loads the SDK at start when the ratio is above 0, by default", async () => {
    const { telemetry, sdkStarts } = start(0.5);
    try {
      await telemetry.loadSdk();
      expect(sdkStarts()).toBe(1);
      expect(telemetry.loadSdk()).toBeUndefined();
    } finally {
      await telemetry.shutdown();
    }
  });

  it("for a process that only continues traces, loads it at the first loadSdk() and only then", async () => {
    // With the SDK's module already imported, a load begun at start would be done by the next
    // macrotask, so seeing none then means none began.
    await import("./tracing-sdk.js");
    const { telemetry, sdkStarts } = start(0.5, "request");
    try {
      await new Promise((resolve) => setImmediate(resolve));
      expect(telemetry.active).toBe(true);
      expect(sdkStarts()).toBe(0);
      const first = telemetry.loadSdk();
      const second = telemetry.loadSdk();
      expect(first).toBeInstanceOf(Promise);
      await Promise.all([first, second]);
      expect(sdkStarts()).toBe(1);
      expect(telemetry.loadSdk()).toBeUndefined();
    } finally {
      await telemetry.shutdown();
    }
  });

  it("has nothing to load while the ratio is 0", async () => {
    const { telemetry, sdkStarts } = start(0, "request");
    try {
      expect(telemetry.loadSdk()).toBeUndefined();
      expect(sdkStarts()).toBe(0);
    } finally {
      await telemetry.shutdown();
    }
  });
});
