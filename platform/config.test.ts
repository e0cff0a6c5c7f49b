import { describe, expect, it } from "vitest";
import { readPlatformConfig } from "./config.js";

describe("LEVELER_RABBITMQ_NODES", () => {
  it("is one node unless asked, and an odd count up to 7 when asked", () => {
    expect(readPlatformConfig({}).rabbitmqNodes).toBe(1);
    expect(readPlatformConfig({ LEVELER_RABBITMQ_NODES: "3" }).rabbitmqNodes).toBe(3);
  });

  it("refuses an even count (no majority survives half the nodes) and nonsense, naming the variable", () => {
    expect(() => readPlatformConfig({ LEVELER_RABBITMQ_NODES: "2" })).toThrow(
      /LEVELER_RABBITMQ_NODES=2 must be odd/,
    );
    expect(() => readPlatformConfig({ LEVELER_RABBITMQ_NODES: "9" })).toThrow(
      /LEVELER_RABBITMQ_NODES/,
    );
    expect(() => readPlatformConfig({ LEVELER_RABBITMQ_NODES: "three" })).toThrow(
      /LEVELER_RABBITMQ_NODES/,
    );
  });
});

describe("HPA_SYNC_PERIOD", () => {
  it("is the HPA controller's 15 s unless set, as a Go duration", () => {
    expect(readPlatformConfig({}).hpaSyncPeriodMs).toBe(15_000);
    expect(readPlatformConfig({ HPA_SYNC_PERIOD: "1s" }).hpaSyncPeriodMs).toBe(1000);
    expect(readPlatformConfig({ HPA_SYNC_PERIOD: "500ms" }).hpaSyncPeriodMs).toBe(500);
  });

  it("refuses a bare number and one too short to be a sync period, naming the variable", () => {
    expect(() => readPlatformConfig({ HPA_SYNC_PERIOD: "15" })).toThrow(
      /HPA_SYNC_PERIOD="15" must be a duration of at least 100ms, such as 15s/,
    );
    expect(() => readPlatformConfig({ HPA_SYNC_PERIOD: "10ms" })).toThrow(/HPA_SYNC_PERIOD/);
  });
});
