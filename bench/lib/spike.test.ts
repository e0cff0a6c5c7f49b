import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests } from "../../platform/manifests.js";
import { analyseSpike, fixedPaceManifests } from "./spike.js";
import type { TimelineSample } from "../../platform/status/timeline.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("the spike both ways", () => {
  it("the fixed-pace copy differs only by every ScaledObject paused at one replica", () => {
    const shipped = loadManifests(["knative", "rabbitmq-eventing"].map((d) => join(ROOT, d)));
    const copy = fixedPaceManifests(ROOT);
    try {
      const fixed = loadManifests(copy.dirs.split(","));
      expect(fixed.triggers.map((t) => t.name)).toEqual(shipped.triggers.map((t) => t.name));
      expect(fixed.services).toEqual(
        shipped.services.map((s) => ({ ...s, file: expect.any(String) as string })),
      );
      for (const t of fixed.triggers) {
        const original = shipped.triggers.find((s) => s.name === t.name)!;
        expect(original.backlog?.pausedReplicas).toBeUndefined();
        expect(t.backlog).toEqual({ ...original.backlog, pausedReplicas: 1 });
      }
    } finally {
      copy.remove();
    }
  });

  it("times a consumer back at zero from the burst's end, once its queue drained", () => {
    const sample = (t: number, depth: number, replicas: number): TimelineSample => ({
      t,
      ingress: { accepted: 0, refused: 0 },
      consumers: { order: 0 },
      queues: { order: depth },
      replicas: { order: replicas },
      deadLetters: 0,
      samplerRatio: 0,
      brokerConnected: true,
      totals: { accepted: 0, refused: 0, processed: 0, deadLettered: 0 },
    });
    const samples = [
      sample(0, 0, 0),
      sample(1000, 50, 4),
      sample(2000, 10, 4),
      sample(3000, 0, 4),
      sample(4000, 0, 2),
      sample(5000, 0, 0),
    ];
    const result = analyseSpike(samples, { started: 0, burstStart: 500, burstEnd: 1500 });
    expect(result.consumers.order).toMatchObject({
      peakDepth: 50,
      drainS: 1.5,
      maxReplicas: 4,
      backToZeroS: 3.5,
    });
  });
});
