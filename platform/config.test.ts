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
