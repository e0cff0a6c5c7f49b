import { describe, expect, it } from "vitest";
import type { ServiceSpec } from "../manifests.js";
import { readAutoscalerDefaults, scalingSpecFor } from "./scaling-config.js";

const service = (annotations: Record<string, string>, containerConcurrency = 0): ServiceSpec => ({
  kind: "Service",
  name: "order",
  namespace: "leveler",
  file: "knative/services/order.yaml",
  bundle: "order",
  env: {},
  annotations,
  labels: {},
  containerConcurrency,
  timeoutSeconds: 300,
  readinessPath: "/health/readiness",
  cpuRequestMillis: undefined,
});

describe("autoscaling configuration", () => {
  it("reads Knative's defaults, and AUTOSCALER_* overrides them", () => {
    const d = readAutoscalerDefaults({}, {});
    expect(d.stableWindowMs).toBe(60_000);
    expect(d.scaleToZeroGraceMs).toBe(30_000);
    expect(d.concurrencyTargetDefault).toBe(100);
    expect(readAutoscalerDefaults({}, { AUTOSCALER_STABLE_WINDOW: "6s" }).stableWindowMs).toBe(
      6_000,
    );
    expect(readAutoscalerDefaults({ "stable-window": "2m" }, {}).stableWindowMs).toBe(120_000);
  });

  it("annotations win over defaults; containerConcurrency caps the target", () => {
    const d = readAutoscalerDefaults({}, {});
    const s = scalingSpecFor(
      service(
        {
          "autoscaling.knative.dev/min-scale": "1",
          "autoscaling.knative.dev/max-scale": "4",
          "autoscaling.knative.dev/target": "50",
          "autoscaling.knative.dev/window": "10s",
        },
        20,
      ),
      d,
    );
    expect(s).toMatchObject({
      minScale: 1,
      maxScale: 4,
      stableWindowMs: 10_000,
      panicWindowMs: 1_000,
    });
    expect(s.targetPerReplica).toBeCloseTo(20 * 0.7);
  });

  it.each([
    [
      { "autoscaling.knative.dev/min-scale": "-1" },
      /Service order: annotation autoscaling.knative.dev\/min-scale="-1"/,
    ],
    [
      { "autoscaling.knative.dev/window": "2s" },
      /Service order: annotation autoscaling.knative.dev\/window="2s" must be between 6s/,
    ],
    [
      { "autoscaling.knative.dev/min-scale": "3", "autoscaling.knative.dev/max-scale": "2" },
      /Service order: annotation autoscaling.knative.dev\/max-scale="2" is below autoscaling.knative.dev\/min-scale="3"/,
    ],
    [
      { "autoscaling.knative.dev/target": "abc" },
      /annotation autoscaling.knative.dev\/target="abc" must be a number/,
    ],
    [
      { "autoscaling.knative.dev/activation-scale": "0" },
      /activation-scale="0" must be an integer ≥ 1/,
    ],
  ])("refuses %j", (annotations, message) => {
    expect(() => scalingSpecFor(service(annotations), readAutoscalerDefaults({}, {}))).toThrow(
      message,
    );
  });

  it("refuses a bad override with the key's name", () => {
    expect(() => readAutoscalerDefaults({}, { AUTOSCALER_STABLE_WINDOW: "soon" })).toThrow(
      /stable-window="soon"|stable-window is not a duration/,
    );
  });
});
