/**
 * The two ways the benchmark sends events, one binary-mode CloudEvent per request with an id
 * the ledger can follow:
 *
 * - closed loop: `connections` clients, each sending its next request when the last answered
 *   (autocannon). Throughput is what the system sustains; latency is flattered when the system
 *   stalls, because a stalled client stops sending (coordinated omission).
 * - open loop: requests leave on a fixed schedule (`rate` per second) whether or not earlier ones
 *   answered; latency runs from the scheduled send time, so a stall shows in full.
 */
import { Agent, request } from "node:http";
import autocannon from "autocannon";
import { build as buildHistogram, type Histogram } from "hdr-histogram-js";
import { sampleData } from "../../functions/events/samples.js";

export const EVENT_TYPES = [
  "com.example.order.created",
  "com.example.payment.requested",
  "com.example.notification.requested",
  "com.example.report.requested",
] as const;

export interface EventRequest {
  /** What follows the `/events` URL: nothing, or `/<type>`. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * How each event is sent: `binary`, a binary-mode CloudEvent to `/events` with the id the ledger
 * chose; `plain`, its data alone as JSON to `/events/<type>`, the ingress naming it (the id comes
 * back in the 202's body).
 */
export type RequestShape = "binary" | "plain";

/** Event n as a request; the four types take turns. */
export function eventRequest(id: string, n: number, shape: RequestShape = "binary"): EventRequest {
  const type = EVENT_TYPES[n % EVENT_TYPES.length]!;
  if (shape === "plain")
    return {
      path: `/${type}`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(sampleData(type, "b", n)),
    };
  return {
    path: "",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-source": "/bench",
      "ce-type": type,
    },
    body: JSON.stringify(sampleData(type, "b", n)),
  };
}

export interface LoadSpec {
  /** The ingress's `/events` URL. */
  url: string;
  shape?: RequestShape;
  /** Events n = first … first + count − 1. */
  first?: number;
  count: number;
  id: (n: number) => string;
  onSent: (n: number) => void;
  onAnswer: (n: number, status: number) => void;
  /** Plain requests: the id the ingress gave event n (from its 202). */
  onNamed?: (n: number, id: string) => void;
}

/** The id in a 202's body (`{"id": "…"}`), if any. */
export function acceptedId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface LoadFigures {
  mode: "closed" | "open";
  /** Connections (closed) or the target arrival rate per second (open). */
  connections?: number;
  targetRate?: number;
  requests: number;
  accepted: number;
  statuses: Record<string, number>;
  errors: number;
  seconds: number;
  /** Accepted (202) requests per second over the run. */
  acceptedPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

function histogram(): Histogram {
  return buildHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function figures(
  mode: "closed" | "open",
  h: Histogram,
  statuses: Record<string, number>,
  errors: number,
  seconds: number,
  extra: Partial<LoadFigures>,
): LoadFigures {
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0) + errors;
  const accepted = statuses["202"] ?? 0;
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000;
  return {
    mode,
    ...extra,
    requests,
    accepted,
    statuses,
    errors,
    seconds,
    acceptedPerSecond: accepted / seconds,
    latencyMs: { p50: ms(50), p95: ms(95), p99: ms(99), max: h.maxValue / 1000 },
  };
}

export async function closedLoop(
  spec: LoadSpec & { connections: number; onProgress?: (answered: number) => void },
): Promise<LoadFigures> {
  const h = histogram();
  const statuses: Record<string, number> = {};
  const first = spec.first ?? 0;
  let next = first;
  let answered = 0;
  // From the first request to the last answer: autocannon itself notices the end only on its
  // once-a-second tick, which would add up to a second of idle time to every run.
  let firstSentAt: number | undefined;
  let lastAnswerAt = 0;
  const base = new URL(spec.url).pathname.replace(/\/$/, "");
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: "POST",
        connections: Math.min(spec.connections, spec.count),
        amount: spec.count,
        timeout: 30,
        requests: [
          {
            setupRequest: (req, context: { n?: number }) => {
              const n = next++;
              firstSentAt ??= performance.now();
              context.n = n;
              const r = eventRequest(spec.id(n), n, spec.shape);
              spec.onSent(n);
              return { ...req, path: base + r.path, headers: r.headers, body: r.body };
            },
            onResponse: (status: number, body: string, context: { n?: number }) => {
              lastAnswerAt = performance.now();
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (status === 202 && spec.onNamed) {
                const id = acceptedId(body);
                if (id) spec.onNamed(context.n!, id);
              }
              spec.onAnswer(context.n!, status);
              spec.onProgress?.(++answered);
            },
          },
        ],
      },
      (err: Error | null, r: autocannon.Result) => (err ? reject(err) : resolve(r)),
    );
    // responseTime is in ms with sub-ms precision; record microseconds.
    instance.on("response", (_client, _status, _bytes, responseTime) =>
      h.recordValue(Math.max(1, Math.round(responseTime * 1000))),
    );
  });
  const seconds = (lastAnswerAt - (firstSentAt ?? lastAnswerAt)) / 1000 || result.duration;
  return figures("closed", h, statuses, result.errors + result.timeouts, seconds, {
    connections: spec.connections,
  });
}

/**
 * Sends on schedule: event k leaves at start + k / rate, whatever happened to the others (up to
 * `maxInFlight` open requests; beyond that, requests wait for a socket and the wait counts in
 * their latency, measured from the scheduled time).
 */
export async function openLoop(
  spec: LoadSpec & { rate: number; maxInFlight?: number; onProgress?: (answered: number) => void },
): Promise<LoadFigures> {
  // A rate that is not a positive number would schedule nothing and wait for ever.
  if (!(Number.isFinite(spec.rate) && spec.rate > 0))
    throw new Error(`open loop: the rate must be a positive number, not ${spec.rate}`);
  const h = histogram();
  const statuses: Record<string, number> = {};
  let errors = 0;
  let answered = 0;
  const first = spec.first ?? 0;
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.maxInFlight ?? 512 });
  const started = performance.now();
  let open = 0;
  let allAnswered: () => void = () => undefined;
  const finished = new Promise<void>((r) => (allAnswered = r));
  let k = 0;
  const settle = () => {
    if (--open === 0 && k >= spec.count) allAnswered();
  };
  const send = (index: number, scheduledAt: number) => {
    open++;
    let settled = false;
    const answer = (status: number | undefined, body = "") => {
      if (settled) return;
      settled = true;
      if (status === undefined) errors++;
      else {
        h.recordValue(Math.max(1, Math.round((performance.now() - scheduledAt) * 1000)));
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 202 && spec.onNamed) {
          const id = acceptedId(body);
          if (id) spec.onNamed(n, id);
        }
        spec.onAnswer(n, status);
      }
      spec.onProgress?.(++answered);
      settle();
    };
    const n = first + index;
    const r = eventRequest(spec.id(n), n, spec.shape);
    spec.onSent(n);
    const headers = { ...r.headers, "content-length": String(Buffer.byteLength(r.body)) };
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname.replace(/\/$/, "") + r.path,
        method: "POST",
        agent,
        headers,
        timeout: 30_000,
      },
      (res) => {
        let body = "";
        if (spec.onNamed) res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        else res.resume();
        res.on("end", () => answer(res.statusCode ?? 0, body));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => answer(undefined));
    req.end(r.body);
  };
  while (k < spec.count) {
    const now = performance.now();
    // Everything due by now leaves now; the schedule does not slip when the loop is late.
    const due = Math.min(spec.count, Math.floor(((now - started) / 1000) * spec.rate) + 1);
    for (; k < due; k++) send(k, started + (k / spec.rate) * 1000);
    if (k < spec.count)
      await new Promise((r) =>
        setTimeout(r, Math.max(0, started + (k / spec.rate) * 1000 - performance.now())),
      );
  }
  if (open > 0) await finished;
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  return figures("open", h, statuses, errors, seconds, { targetRate: spec.rate });
}
