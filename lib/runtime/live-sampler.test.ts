import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from "@opentelemetry/api";
import { RandomIdGenerator, SamplingDecision } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { LiveSampler } from "./live-sampler.js";
import { SamplerRatio } from "./sampler-ratio.js";

const ids = new RandomIdGenerator();
const decide = (sampler: LiveSampler, context = ROOT_CONTEXT, traceId = ids.generateTraceId()) =>
  sampler.shouldSample(context, traceId, "span", SpanKind.SERVER, {}, []).decision;
const withParent = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });

describe("LiveSampler", () => {
  it("at 0 records nothing, not even under a sampled parent, and says it is inactive", () => {
    const setting = new SamplerRatio(0);
    const sampler = new LiveSampler(setting);
    expect(setting.active).toBe(false);
    expect(decide(sampler)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, withParent(true))).toBe(SamplingDecision.NOT_RECORD);
  });

  it("at 1 keeps every root, and follows the parent's decision (a trace is kept or dropped whole)", () => {
    const setting = new SamplerRatio(1);
    const sampler = new LiveSampler(setting);
    expect(decide(sampler)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, withParent(false))).toBe(SamplingDecision.NOT_RECORD);
    setting.ratio = 0.0001;
    expect(decide(sampler, withParent(true))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it("without parent-based sampling, decides every span by its trace id alone", () => {
    const sampler = new LiveSampler(new SamplerRatio(1), false);
    expect(decide(sampler, withParent(false))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it("decides the same way for the same trace id (every process agrees)", () => {
    const a = new LiveSampler(new SamplerRatio(0.5));
    const b = new LiveSampler(new SamplerRatio(0.5));
    for (let i = 0; i < 200; i++) {
      const id = ids.generateTraceId();
      expect(decide(a, ROOT_CONTEXT, id)).toBe(decide(b, ROOT_CONTEXT, id));
    }
  });

  it("keeps the share of roots the ratio says, and a new ratio applies to the next span", () => {
    const setting = new SamplerRatio(0.25);
    const sampler = new LiveSampler(setting);
    const n = 20_000;
    const share = (ratio: number) => {
      setting.ratio = ratio;
      let kept = 0;
      for (let i = 0; i < n; i++)
        if (decide(sampler) === SamplingDecision.RECORD_AND_SAMPLED) kept++;
      return kept;
    };
    // Binomial: mean n·p, standard deviation √(n·p·(1-p)); 5 deviations is a 1-in-a-million miss.
    for (const p of [0.25, 0.01, 0.75]) {
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(share(p) - n * p)).toBeLessThan(5 * sd);
    }
  });
});
