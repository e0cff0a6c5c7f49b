/**
 * The monitoring switch as a sampler: parent-based, so a trace is kept or dropped as a whole,
 * with a trace-id ratio at the root taken from a SamplerRatio, which can change while the process
 * runs.
 *
 * Ratio 0 means off, also for children of a sampled parent (say, events queued before the switch
 * was turned): nothing records, whatever arrives. That is what makes 0 the cheap path, and callers
 * check `active` first so that at 0 they do not even ask.
 *
 * Only the SDK's side (tracing-sdk.ts, tests) imports this: see sampler-ratio.ts for why.
 */
import type { Attributes, Context, Link, SpanKind } from "@opentelemetry/api";
import { isSpanContextValid, trace, TraceFlags } from "@opentelemetry/api";
import {
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from "@opentelemetry/sdk-trace";
import type { SamplerRatio } from "./sampler-ratio.js";

const DROP: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
const KEEP: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };

export class LiveSampler implements Sampler {
  /** The root sampler for `rootRatio`, made again when the switch moves. */
  private root: Sampler = { shouldSample: () => DROP };
  private rootRatio = 0;

  constructor(
    private readonly setting: SamplerRatio,
    private readonly parentBased = true,
  ) {}

  shouldSample(
    context: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const ratio = this.setting.ratio;
    if (ratio <= 0) return DROP;
    const parent = this.parentBased ? trace.getSpanContext(context) : undefined;
    if (parent && isSpanContextValid(parent))
      return (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? KEEP : DROP;
    if (ratio !== this.rootRatio) {
      this.rootRatio = ratio;
      // The SDK's ratio sampler decides from the trace id's low bits, so every process that sees
      // the same trace id at the same ratio decides the same way.
      this.root = ratio >= 1 ? { shouldSample: () => KEEP } : new TraceIdRatioBasedSampler(ratio);
    }
    return this.root.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `LiveSampler{ratio=${this.setting.ratio}${this.parentBased ? ", parent-based" : ""}}`;
  }
}
