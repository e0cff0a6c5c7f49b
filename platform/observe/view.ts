/**
 * The `leveler observe` screen, as a pure function of what was observed: one row per function
 * (replicas ready/desired, requests in flight, its trigger's queue depth, its dispatchers'
 * deliveries in flight over their bound; on a cluster its dispatcher Deployments' replicas), then
 * the latest scale events. Shared by the local view and the cluster view.
 */
export interface ObservedFunction {
  name: string;
  replicas: number;
  ready: number;
  desired: number | undefined;
  inFlight: number | undefined;
  queueDepth: number | undefined;
  /** Its Triggers' deliveries in flight and their current bound (replicas × parallelism). */
  delivering?: { inFlight: number; bound: number } | undefined;
  /**
   * On a cluster: its Triggers' dispatcher Deployments, ready and desired replicas summed, and
   * their states (the KEDA ScaledObject's, `fixed` without one, or `missing` while a Deployment
   * does not exist yet).
   */
  dispatchers?: { ready: number; desired: number; states: string[] } | undefined;
}

export interface ObservedScaleEvent {
  time: string;
  function: string;
  from: number;
  to: number;
  reason: string;
}

export function renderView(
  title: string,
  functions: readonly ObservedFunction[],
  events: readonly ObservedScaleEvent[],
  now = new Date(),
): string {
  const dash = (n: number | undefined) => (n === undefined ? "-" : String(n));
  // Only the cluster view knows dispatcher Deployments; the local view keeps its columns.
  const withDispatchers = functions.some((f) => f.dispatchers);
  const dispatchers = (d: ObservedFunction["dispatchers"]) =>
    d ? [`${d.ready}/${d.desired}`, ...d.states].join(" ") : "-";
  const rows = [
    [
      "FUNCTION",
      "REPLICAS",
      "READY",
      "DESIRED",
      "IN-FLIGHT",
      "QUEUE",
      "DELIVERING",
      ...(withDispatchers ? ["DISPATCHERS"] : []),
    ],
    ...functions.map((f) => [
      f.name,
      String(f.replicas),
      String(f.ready),
      dash(f.desired),
      // Where replicas hold their port, this is what they report: an average, shown whole.
      dash(f.inFlight === undefined ? undefined : Math.round(f.inFlight)),
      dash(f.queueDepth),
      f.delivering ? `${f.delivering.inFlight}/${f.delivering.bound}` : "-",
      ...(withDispatchers ? [dispatchers(f.dispatchers)] : []),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join("   "),
    )
    .join("\n");
  const recent = events
    .slice(-10)
    .map(
      (e) =>
        `${e.time.slice(11, 19)}  ${e.function.padEnd(widths[0]!)}  ${e.from} → ${e.to}  ${e.reason}`,
    );
  return `${title}   ${now.toISOString().slice(11, 19)}\n\n${table}\n\nscale events${recent.length ? "" : " (none yet)"}\n${recent.join("\n")}\n`;
}
