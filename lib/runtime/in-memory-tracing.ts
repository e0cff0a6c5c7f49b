/**
 * For tests: tracing as a function runs it (a LiveSampler behind a TracerProvider, the
 * AsyncLocalStorage context manager, the W3C propagator), with finished spans kept in memory.
 */
import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { LiveSampler } from "./live-sampler.js";
import { SamplerRatio } from "./sampler-ratio.js";
import type { Telemetry } from "./telemetry.js";

export interface InMemoryTracing {
  exporter: InMemorySpanExporter;
  provider: TracerProvider;
  /** The switch: set its `ratio` to turn tracing up or down. */
  sampler: SamplerRatio;
  telemetry: Telemetry;
  /** Registers the context manager and propagator globally, as the SDK does; `uninstall` undoes it. */
  install: () => void;
  uninstall: () => void;
}

export function inMemoryTracing(ratio = 1): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const sampler = new SamplerRatio(ratio);
  const provider = new TracerProvider({
    sampler: new LiveSampler(sampler),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const telemetry: Telemetry = {
    tracer: provider.getTracer("test"),
    sampler,
    get active() {
      return sampler.active;
    },
    loadSdk: () => undefined,
    shutdown: () => Promise.resolve(),
  };
  return {
    exporter,
    provider,
    sampler,
    telemetry,
    install: () => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    },
    uninstall: () => {
      context.disable();
      propagation.disable();
    },
  };
}
