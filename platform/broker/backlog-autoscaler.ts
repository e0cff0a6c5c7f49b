/**
 * Applies backlog-scaler.ts to a running dispatcher: looks at the queue every polling interval,
 * as KEDA polls its scaler, and sets the number of consumers (the dispatcher's replicas) to what
 * the decision says. Each change is reported as a scale event of `<trigger>-dispatcher`, the
 * Deployment KEDA scales on a cluster.
 */
import { decideReplicas, initialScalerState, type BacklogScaling } from "./backlog-scaler.js";

export interface DispatcherScaleEvent {
  time: string;
  function: string;
  from: number;
  to: number;
  reason: string;
}

export interface BacklogAutoscalerOptions {
  spec: BacklogScaling;
  /** The Deployment's name, for scale events. */
  target: string;
  /** Messages in the queue, ready and unacked; undefined while it cannot be read (nothing changes). */
  queueLength: () => Promise<number | undefined>;
  setReplicas: (replicas: number) => Promise<void>;
  onScale: (event: DispatcherScaleEvent) => void;
  now?: () => number;
}

export function initialReplicas(spec: BacklogScaling): number {
  return initialScalerState(spec).replicas;
}

/** Starts polling; returns a function that stops it. */
export function startBacklogAutoscaler(options: BacklogAutoscalerOptions): () => void {
  const { spec, now = Date.now } = options;
  let state = initialScalerState(spec);
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const queueLength = await options.queueLength().catch(() => undefined);
      if (queueLength === undefined) return;
      const from = state.replicas;
      const decision = decideReplicas(spec, state, queueLength, now());
      state = decision.state;
      if (decision.reason === undefined) return;
      await options.setReplicas(state.replicas);
      options.onScale({
        time: new Date(now()).toISOString(),
        function: options.target,
        from,
        to: state.replicas,
        reason: decision.reason,
      });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), spec.pollingIntervalMs);
  return () => clearInterval(timer);
}
