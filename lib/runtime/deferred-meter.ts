/**
 * A Meter that works before the metrics SDK is there. Its instruments can be made and used at
 * once; what they record waits (in order, bounded) and is replayed into the real instruments when
 * `attach(meter)` gives them one, after which every call goes straight through.
 *
 * Why: the SDK (sdk-metrics, the Prometheus exporter and the resource) and its scrape server cost
 * a starting replica ~12 ms before it could listen, measured, and a consumer's start is its cold
 * start. run.ts loads them half a second after the replica listens, so what its first requests
 * counted reaches Prometheus anyway. The OpenTelemetry API has a proxy for tracers and none for
 * meters: a meter taken before the provider is set stays a no-op for good.
 */
import type {
  Attributes,
  BatchObservableCallback,
  Context,
  Counter,
  Gauge,
  Histogram,
  Meter,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
} from "@opentelemetry/api";

/** What waits at most before `attach`: beyond it the oldest records are dropped, and counted. */
export const DEFAULT_MAX_PENDING_RECORDS = 10_000;

interface Recorder {
  add?(value: number, attributes?: Attributes, context?: Context): void;
  record?(value: number, attributes?: Attributes, context?: Context): void;
}

/** A synchronous instrument (counter, up-down counter, histogram, gauge) until it has a real one. */
class DeferredInstrument {
  real: Recorder | undefined;
  constructor(
    readonly create: (meter: Meter) => Recorder,
    private readonly owner: DeferredMeter,
  ) {}
  add(value: number, attributes?: Attributes, context?: Context): void {
    if (this.real) this.real.add!(value, attributes, context);
    else this.owner.hold(() => this.real!.add!(value, attributes, context));
  }
  record(value: number, attributes?: Attributes, context?: Context): void {
    if (this.real) this.real.record!(value, attributes, context);
    else this.owner.hold(() => this.real!.record!(value, attributes, context));
  }
}

/** An observable instrument: its callbacks wait and are handed over with it. */
class DeferredObservable implements Observable {
  real: Observable | undefined;
  readonly callbacks = new Set<ObservableCallback>();
  constructor(readonly create: (meter: Meter) => Observable) {}
  addCallback(callback: ObservableCallback): void {
    if (this.real) this.real.addCallback(callback);
    else this.callbacks.add(callback);
  }
  removeCallback(callback: ObservableCallback): void {
    if (this.real) this.real.removeCallback(callback);
    else this.callbacks.delete(callback);
  }
}

type Instrument = DeferredInstrument | DeferredObservable;

export class DeferredMeter implements Meter {
  private meter: Meter | undefined;
  private readonly instruments: Instrument[] = [];
  private readonly batches = new Map<BatchObservableCallback, Observable[]>();
  private readonly wrappers = new Map<BatchObservableCallback, BatchObservableCallback>();
  private pending: Array<() => void> = [];
  private dropped = 0;

  constructor(private readonly maxPending = DEFAULT_MAX_PENDING_RECORDS) {}

  createCounter<A extends Attributes>(name: string, options?: MetricOptions): Counter<A> {
    return this.instrument((m) => m.createCounter(name, options));
  }
  createUpDownCounter<A extends Attributes>(
    name: string,
    options?: MetricOptions,
  ): UpDownCounter<A> {
    return this.instrument((m) => m.createUpDownCounter(name, options));
  }
  createHistogram<A extends Attributes>(name: string, options?: MetricOptions): Histogram<A> {
    return this.instrument((m) => m.createHistogram(name, options));
  }
  createGauge<A extends Attributes>(name: string, options?: MetricOptions): Gauge<A> {
    return this.instrument((m) => m.createGauge(name, options));
  }
  createObservableGauge<A extends Attributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableGauge<A> {
    return this.observable((m) => m.createObservableGauge(name, options));
  }
  createObservableCounter<A extends Attributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableCounter<A> {
    return this.observable((m) => m.createObservableCounter(name, options));
  }
  createObservableUpDownCounter<A extends Attributes>(
    name: string,
    options?: MetricOptions,
  ): ObservableUpDownCounter<A> {
    return this.observable((m) => m.createObservableUpDownCounter(name, options));
  }
  addBatchObservableCallback<A extends Attributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    if (this.meter)
      this.meter.addBatchObservableCallback(
        this.wrap(callback as BatchObservableCallback),
        observables.map(realOf),
      );
    else this.batches.set(callback, observables);
  }
  removeBatchObservableCallback<A extends Attributes>(
    callback: BatchObservableCallback<A>,
    observables: Observable<A>[],
  ): void {
    const wrapper = this.wrappers.get(callback);
    this.wrappers.delete(callback);
    if (this.meter && wrapper)
      this.meter.removeBatchObservableCallback(wrapper, observables.map(realOf));
    else this.batches.delete(callback);
  }

  /** True once `attach` has run. */
  get attached(): boolean {
    return this.meter !== undefined;
  }

  /**
   * Gives every instrument made so far its real one, hands over the callbacks and replays what
   * was recorded, in order. Returns how many records were dropped (more than `maxPending` waited).
   */
  attach(meter: Meter): { dropped: number } {
    if (this.meter) throw new Error("DeferredMeter: attached twice");
    this.meter = meter;
    for (const instrument of this.instruments) {
      if (instrument instanceof DeferredObservable) {
        instrument.real = instrument.create(meter);
        for (const callback of instrument.callbacks) instrument.real.addCallback(callback);
        instrument.callbacks.clear();
      } else instrument.real = instrument.create(meter);
    }
    this.instruments.length = 0;
    for (const [callback, observables] of this.batches)
      meter.addBatchObservableCallback(this.wrap(callback), observables.map(realOf));
    this.batches.clear();
    const pending = this.pending;
    this.pending = [];
    for (const replay of pending) replay();
    return { dropped: this.dropped };
  }

  /** A record made before `attach` (DeferredInstrument's). */
  hold(replay: () => void): void {
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(replay);
  }

  /**
   * A batch callback names its observables, which may be this meter's stand-ins: the SDK only
   * knows the real ones, so the callback sees a result that translates.
   */
  private wrap(callback: BatchObservableCallback): BatchObservableCallback {
    let wrapper = this.wrappers.get(callback);
    if (!wrapper) {
      wrapper = (result) =>
        callback({
          observe: (observable, value, attributes) =>
            result.observe(realOf(observable), value, attributes),
        });
      this.wrappers.set(callback, wrapper);
    }
    return wrapper;
  }

  private instrument(create: (meter: Meter) => Recorder): DeferredInstrument {
    const instrument = new DeferredInstrument(create, this);
    if (this.meter) instrument.real = create(this.meter);
    else this.instruments.push(instrument);
    return instrument;
  }

  private observable(create: (meter: Meter) => Observable): DeferredObservable {
    const observable = new DeferredObservable(create);
    if (this.meter) observable.real = create(this.meter);
    else this.instruments.push(observable);
    return observable;
  }
}

const realOf = (observable: Observable): Observable =>
  observable instanceof DeferredObservable ? observable.real! : observable;
