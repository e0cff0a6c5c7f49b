/**
 * The monitoring switch as a sampler: parent-based, so a trace is kept or dropped as a whole,
 * with a trace-id ratio at the root that can change while the process runs.
 *
 * Ratio 0 means off, also for children of a sampled parent (say, events queued before the switch
 * was turned): nothing records, whatever arrives. That is what makes 0 the cheap path, and callers
 * check `active` first so that at 0 they do not even ask.
 */
import type { Attributes, Context, Link, SpanKind } from "@opentelemetry/api";
import { isSpanContextValid, trace, TraceFlags } from "@opentelemetry/api";
import {
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from "@opentelemetry/sdk-trace";

const DROP: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
const KEEP: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };

export class LiveSampler implements Sampler {
  private current = 0;
  private root: Sampler = { shouldSample: () => DROP };

  constructor(
    ratio: number,
    private readonly parentBased = true,
  ) {
    this.ratio = ratio;
  }

  get ratio(): number {
    return this.current;
  }

  /** Takes effect for the next span; the caller has validated 0 ≤ ratio ≤ 1. */
  set ratio(value: number) {
    this.current = value;
    // The SDK's ratio sampler decides from the trace id's low bits, so every process that sees
    // the same trace id at the same ratio decides the same way.
    this.root =
      value >= 1
        ? { shouldSample: () => KEEP }
        : value <= 0
          ? { shouldSample: () => DROP }
          : new TraceIdRatioBasedSampler(value);
  }

  /** False at ratio 0: instrumentation skips span creation altogether. */
  get active(): boolean {
    return this.current > 0;
  }

  shouldSample(
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (this.current <= 0) return DROP;
    const parent = this.parentBased ? trace.getSpanContext(context) : undefined;
    if (parent && isSpanContextValid(parent))
      return (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? KEEP : DROP;
    return this.root.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `LiveSampler{ratio=${this.current}${this.parentBased ? ", parent-based" : ""}}`;
  }
}
