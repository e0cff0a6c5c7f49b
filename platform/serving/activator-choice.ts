/**
 * What happens to one request at a Service's address: forward it to a ready replica, hold it, or
 * answer 503 with Retry-After. Pure; the activator (activator.ts) only performs the choice.
 *
 * Two modes, as Knative's ServerlessService switches them (pkg/reconciler/autoscaling/kpa/kpa.go):
 * - the activator in the path ("proxy"): the least busy ready replica below containerConcurrency;
 *   with none, the request waits at the activator, at most ACTIVATOR_MAX_WAITING of them and at
 *   most the hold timeout each (Knative's activator does the same with its own bounds);
 * - out of the path ("serve"): replicas in turn, as the Service's endpoints are balanced; a replica
 *   at containerConcurrency makes the request wait as its queue-proxy would, up to 10 ×
 *   containerConcurrency per replica (pkg/queue/sharedmain/main.go, buildBreaker), never at the
 *   activator. With no ready replica Knative routes to the activator again
 *   (pkg/reconciler/serverlessservice/serverlessservice.go), so the proxy rules apply.
 */

export interface ReadyReplica {
  id: string;
  inFlight: number;
}

export interface ChoiceInput {
  service: string;
  activatorInPath: boolean;
  /** Ready replicas, in the order the round robin walks them. */
  replicas: readonly ReadyReplica[];
  /** 0: no limit. */
  containerConcurrency: number;
  /** Requests waiting now (a request re-examined may be among them). */
  waiting: number;
  /** True for a request that waits already (re-examined), false for one just arriving. */
  held: boolean;
  /** How long this request has waited. */
  waitedMs: number;
  maxWaiting: number;
  holdTimeoutMs: number;
  /** Where the round robin goes on (out of the path). */
  cursor: number;
}

export type Choice =
  | { action: "forward"; replica: string; cursor: number }
  | { action: "hold" }
  | { action: "reject"; status: 503; retryAfterSeconds: number; reason: string };

/** The queue-proxy queues up to ten times containerConcurrency per replica. */
export const QUEUE_PROXY_DEPTH_FACTOR = 10;

export function chooseRoute(input: ChoiceInput): Choice {
  const { replicas, containerConcurrency: cc } = input;
  const hasRoom = (r: ReadyReplica) => cc === 0 || r.inFlight < cc;
  const serve = !input.activatorInPath && replicas.length > 0;
  // First come, first served: a new request does not overtake the ones already waiting.
  const mayForward = input.held || input.waiting === 0;

  if (mayForward && serve) {
    for (let i = 0; i < replicas.length; i++) {
      const at = (input.cursor + i) % replicas.length;
      const replica = replicas[at]!;
      if (hasRoom(replica)) return { action: "forward", replica: replica.id, cursor: at + 1 };
    }
  } else if (mayForward) {
    let best: ReadyReplica | undefined;
    for (const r of replicas) if (hasRoom(r) && (!best || r.inFlight < best.inFlight)) best = r;
    if (best) return { action: "forward", replica: best.id, cursor: input.cursor };
  }

  const reject = (reason: string): Choice => ({
    action: "reject",
    status: 503,
    retryAfterSeconds: 1,
    reason,
  });
  if (input.waitedMs >= input.holdTimeoutMs) {
    return reject(
      replicas.length === 0
        ? `no replica of ${input.service} became ready within ${input.holdTimeoutMs} ms`
        : `no replica of ${input.service} had room within ${input.holdTimeoutMs} ms`,
    );
  }
  if (!input.held) {
    const bound = serve ? QUEUE_PROXY_DEPTH_FACTOR * cc * replicas.length : input.maxWaiting;
    if (input.waiting >= bound)
      return reject(
        serve
          ? `${input.service}: pending request queue full (${bound} waiting at its replicas)`
          : `${bound} requests already wait for ${input.service}`,
      );
  }
  return { action: "hold" };
}
