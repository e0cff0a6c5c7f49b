/**
 * The monitoring switch's position in this process: the sampler ratio it applies now, changed
 * while it runs (telemetry.ts sets it from the watched config file). Ratio 0 means off.
 *
 * It holds no OpenTelemetry SDK code on purpose: every replica makes one at start, and the SDK's
 * sampler package is CommonJS, so importing anything from it (a class, an enum) evaluates the whole
 * package, its TracerProvider and resource detectors included. That cost a consumer ~7 ms of its
 * cold start to listening, measured. The Sampler that reads this, LiveSampler, comes with the SDK
 * (tracing-sdk.ts), which loads only once the ratio is above 0.
 */
export class SamplerRatio {
  /** Takes effect for the next span; the caller has validated 0 ≤ ratio ≤ 1. */
  ratio: number;

  constructor(ratio: number) {
    this.ratio = ratio;
  }

  /** False at ratio 0: instrumentation skips span creation altogether. */
  get active(): boolean {
    return this.ratio > 0;
  }
}
