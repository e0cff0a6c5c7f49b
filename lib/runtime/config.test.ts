import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_TELEMETRY_CONFIG,
  readFunctionConfig,
  readTelemetryConfig,
} from "./config.js";

describe("readFunctionConfig", () => {
  it("listens on every interface unless HOST names one (the platform's 127.0.0.1)", () => {
    expect(readFunctionConfig({}, "f").server.host).toBeUndefined();
    expect(readFunctionConfig({ HOST: "" }, "f").server.host).toBeUndefined();
    expect(readFunctionConfig({ HOST: "127.0.0.1" }, "f").server.host).toBe("127.0.0.1");
  });

  it("has no shared port unless SHARED_PORT names one (only the local platform sets it)", () => {
    expect(readFunctionConfig({}, "f").sharedPort).toBeUndefined();
    expect(readFunctionConfig({ SHARED_PORT: "" }, "f").sharedPort).toBeUndefined();
    expect(readFunctionConfig({ SHARED_PORT: "8080" }, "f").sharedPort).toBe(8080);
    expect(() => readFunctionConfig({ SHARED_PORT: "0" }, "f")).toThrow(
      new ConfigError('SHARED_PORT="0" is not an integer ≥ 1 and ≤ 65535'),
    );
  });
});

describe("readTelemetryConfig", () => {
  it("starts off, parent-based, watching the Knative mount, when nothing is set", () => {
    expect(readTelemetryConfig({})).toMatchObject({
      disabled: false,
      configFile: DEFAULT_TELEMETRY_CONFIG,
      parentBased: true,
      initialRatio: 0,
      tracesDir: undefined,
      otlpEndpoint: undefined,
    });
  });

  it("honours the standard OTEL_* variables", () => {
    expect(
      readTelemetryConfig({
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.1",
      }),
    ).toMatchObject({ parentBased: true, initialRatio: 0.1 });
    expect(readTelemetryConfig({ OTEL_TRACES_SAMPLER: "traceidratio" })).toMatchObject({
      parentBased: false,
      initialRatio: 1,
    });
    expect(readTelemetryConfig({ OTEL_TRACES_SAMPLER: "always_off" })).toMatchObject({
      initialRatio: 0,
    });
    expect(
      readTelemetryConfig({
        OTEL_SDK_DISABLED: "TRUE",
        OTEL_SERVICE_NAME: "x",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_BSP_SCHEDULE_DELAY: "100",
      }),
    ).toMatchObject({
      disabled: true,
      serviceName: "x",
      otlpEndpoint: "http://collector:4318",
      batch: { scheduledDelayMillis: 100 },
    });
  });

  it("refuses what it cannot honour, naming the variable", () => {
    expect(() => readTelemetryConfig({ OTEL_TRACES_SAMPLER: "jaeger_remote" })).toThrow(
      ConfigError,
    );
    expect(() => readTelemetryConfig({ OTEL_TRACES_SAMPLER_ARG: "2" })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG="2"/,
    );
  });
});
