import { afterEach, describe, expect, it, vi } from "vitest";
import { processResource } from "./resource.js";

const known = { "service.name": "order", "service.version": "1.2.3", "process.pid": 42 };

describe("the process resource", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("is what leveler knows when no OTEL_ variable says otherwise", () => {
    vi.stubEnv("OTEL_RESOURCE_ATTRIBUTES", "");
    vi.stubEnv("OTEL_SERVICE_NAME", "");
    expect(processResource(known).attributes).toEqual(known);
  });

  it("takes OTEL_RESOURCE_ATTRIBUTES (percent-decoded), and OTEL_SERVICE_NAME over both", () => {
    vi.stubEnv(
      "OTEL_RESOURCE_ATTRIBUTES",
      "deployment.environment.name=staging,team=a%2Cb,service.name=from-attributes",
    );
    vi.stubEnv("OTEL_SERVICE_NAME", "");
    expect(processResource(known).attributes).toEqual({
      ...known,
      "deployment.environment.name": "staging",
      team: "a,b",
      "service.name": "from-attributes",
    });
    vi.stubEnv("OTEL_SERVICE_NAME", "from-service-name");
    expect(processResource(known).attributes["service.name"]).toBe("from-service-name");
  });

  it("ignores a malformed OTEL_RESOURCE_ATTRIBUTES whole, as the specification asks", () => {
    vi.stubEnv("OTEL_RESOURCE_ATTRIBUTES", "a=1,b");
    vi.stubEnv("OTEL_SERVICE_NAME", "");
    expect(processResource(known).attributes).toEqual(known);
  });
});
