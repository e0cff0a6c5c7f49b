import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { JsonLinesSpanExporter, type SpanRecord } from "./jsonl-exporter.js";
import { LiveSampler } from "./live-sampler.js";
import { SamplerRatio } from "./sampler-ratio.js";

// Dates, not numbers: the SDK reads a small number as an offset from the process's time origin.
const T0 = 1_767_225_600_000;
const at = (ms: number) => new Date(T0 + ms);

function setup(ratio: number) {
  const dir = mkdtempSync(join(tmpdir(), "leveler-spans-"));
  const sampler = new SamplerRatio(ratio);
  const provider = new TracerProvider({
    sampler: new LiveSampler(sampler),
    resource: resourceFromAttributes({ "service.name": "unit" }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: new JsonLinesSpanExporter({ dir, name: "unit-1" }) }),
    ],
  });
  const lines = () => {
    try {
      return readFileSync(join(dir, "unit-1.jsonl"), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SpanRecord);
    } catch {
      return [];
    }
  };
  return { provider, sampler, tracer: provider.getTracer("test"), lines };
}

describe("JsonLinesSpanExporter behind the BatchSpanProcessor", () => {
  it("writes each finished span as one JSON line with its parent, kind, service and duration", async () => {
    const { provider, tracer, lines } = setup(1);
    const parent = tracer.startSpan("POST /events/{type}", {
      kind: SpanKind.SERVER,
      startTime: at(0),
    });

    tracer
      .startSpan(
        "publish x",
        {
          kind: SpanKind.PRODUCER,
          startTime: at(1),
          attributes: { "messaging.system": "rabbitmq" },
        },
        trace.setSpan(context.active(), parent),
      )
      .end(at(3));
    parent.end(at(4));
    await provider.forceFlush();
    const spans = lines();
    expect(spans).toHaveLength(2);
    const [child, root] = spans as [SpanRecord, SpanRecord];
    expect(child).toMatchObject({
      name: "publish x",
      kind: "producer",
      service: "unit",
      parentSpanId: root.spanId,
      traceId: root.traceId,
      durationUs: 2_000,
      attributes: { "messaging.system": "rabbitmq" },
    });
    expect(root).toMatchObject({
      name: "POST /events/{type}",
      kind: "server",
      durationUs: 4_000,
      startUs: T0 * 1000,
    });
    expect(root.parentSpanId).toBeUndefined();
    await provider.shutdown();
  });

  it("at ratio 0 writes nothing; turned on, it writes", async () => {
    const { provider, tracer, sampler, lines } = setup(0);
    for (let i = 0; i < 100; i++) tracer.startSpan("off").end();
    await provider.forceFlush();
    expect(lines()).toEqual([]);
    sampler.ratio = 1;
    tracer.startSpan("on").end();
    await provider.forceFlush();
    expect(lines().map((s) => s.name)).toEqual(["on"]);
    await provider.shutdown();
  });
});
