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
      /activation-scale="0" must be at least 2/,
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

// Knative's webhook, knative/serving@98e5ef90aa7033797aa0a61ef97f3ff7e49a3944
// pkg/apis/autoscaling/annotation_validation.go (validateMinMaxScale, validateFloats): refused at
// start with one line naming the file, the Service and the annotation; nothing is clamped.
describe("the webhook's checks", () => {
  const limit4 = readAutoscalerDefaults({ "max-scale-limit": "4", "max-scale": "4" }, {});
  it.each([
    [{ "activation-scale": "1" }, 0, /activation-scale="1" must be at least 2$/],
    [
      { "activation-scale": "3", "max-scale": "2" },
      0,
      /activation-scale="3" is above autoscaling.knative.dev\/max-scale="2"$/,
    ],
    [
      { "activation-scale": "2", "min-scale": "3" },
      0,
      /activation-scale="2" is below autoscaling.knative.dev\/min-scale="3"$/,
    ],
    [{ "activation-scale": "two" }, 0, /activation-scale="two" must be an integer/],
    [
      { "target-burst-capacity": "-2" },
      0,
      /target-burst-capacity="-2" must be -1 or a number ≥ 0$/,
    ],
    [{ "target-burst-capacity": "lots" }, 0, /target-burst-capacity="lots" must be -1/],
  ])("refuses %j", (annotations, cc, message) => {
    const anns = Object.fromEntries(
      Object.entries(annotations).map(([k, v]) => [`autoscaling.knative.dev/${k}`, v]),
    );
    expect(() => scalingSpecFor(service(anns, cc), readAutoscalerDefaults({}, {}))).toThrow(
      new RegExp(
        `^knative/services/order.yaml: Service order: annotation autoscaling.knative.dev/${message.source.replace(/^\//, "")}`,
      ),
    );
  });

  it("refuses max-scale above max-scale-limit, or unlimited under a limit, instead of clamping", () => {
    expect(() =>
      scalingSpecFor(service({ "autoscaling.knative.dev/max-scale": "5" }), limit4),
    ).toThrow(
      /^knative\/services\/order.yaml: Service order: annotation autoscaling.knative.dev\/max-scale="5" must be from 1 to max-scale-limit \(4\)/,
    );
    expect(() =>
      scalingSpecFor(service({ "autoscaling.knative.dev/max-scale": "0" }), limit4),
    ).toThrow(/max-scale="0" must be from 1 to max-scale-limit \(4\)/);
    expect(
      scalingSpecFor(service({ "autoscaling.knative.dev/max-scale": "3" }), limit4).maxScale,
    ).toBe(3);
    // The config's own default must sit within the limit (pkg/autoscaler/config/config.go).
    expect(() => readAutoscalerDefaults({ "max-scale-limit": "4" }, {})).toThrow(
      /config-autoscaler max-scale="0" must be from 1 to max-scale-limit \(4\)/,
    );
  });

  it("accepts activation-scale within min and max, and burst capacity -1, 0 or more", () => {
    const d = readAutoscalerDefaults({}, {});
    const s = scalingSpecFor(
      service({
        "autoscaling.knative.dev/activation-scale": "2",
        "autoscaling.knative.dev/max-scale": "2",
        "autoscaling.knative.dev/target-burst-capacity": "-1",
      }),
      d,
    );
    expect(s).toMatchObject({ activationScale: 2, targetBurstCapacity: -1 });
    expect(scalingSpecFor(service({}), d)).toMatchObject({
      activationScale: 1,
      targetBurstCapacity: 211,
    });
    expect(
      scalingSpecFor(service({ "autoscaling.knative.dev/target-burst-capacity": "0" }), d)
        .targetBurstCapacity,
    ).toBe(0);
  });
});

// knative/serving@98e5ef90aa7033797aa0a61ef97f3ff7e49a3944
// pkg/reconciler/autoscaling/resources/target.go (ResolveMetricTarget).
describe("the per-replica target", () => {
  const d = readAutoscalerDefaults({}, {});
  it.each([
    // [annotations, containerConcurrency, total, target]
    [{}, 0, 100, 70],
    [{}, 200, 200, 140],
    [{}, 8, 8, 5.6],
    [{ "autoscaling.knative.dev/target": "50" }, 20, 20, 14],
    [{ "autoscaling.knative.dev/target": "10" }, 20, 10, 7],
    [
      {
        "autoscaling.knative.dev/target": "10",
        "autoscaling.knative.dev/target-utilization-percentage": "100",
      },
      0,
      10,
      10,
    ],
  ])("%j with containerConcurrency %i: total %d, target %d", (anns, cc, total, target) => {
    const s = scalingSpecFor(service(anns, cc), d);
    expect(s.totalPerReplica).toBeCloseTo(total);
    expect(s.targetPerReplica).toBeCloseTo(target);
  });
});
