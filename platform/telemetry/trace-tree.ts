/**
 * A trace as an indented tree, children under their parent in start order, each line with its
 * duration, where it started relative to the trace, and which process made it:
 *
 * ```
 * trace 0af7651916cd43dd8448eb211c80319c  4 spans, 31.4 ms, 2026-11-25 10:00:00.123
 *   POST /events/{type}  3.1 ms  +0.0 ms  [ingress]
 *   └─ process leveler.order.local  9.2 ms  +15.0 ms  [dispatchers]
 *      ├─ queued leveler.order.local  12.0 ms  +3.0 ms  (time in queue)
 * ```
 *
 * The `queued` line is not a span: it is drawn from its dispatcher span's
 * `messaging.rabbitmq.time_in_queue_ms`, ending where that span starts.
 */
import type { SpanRecord } from "../../lib/runtime/jsonl-exporter.js";
import type { Trace } from "./trace-files.js";

export function formatTrace(trace: Trace): string {
  const ids = new Set(trace.spans.map((s) => s.spanId));
  const children = new Map<string, SpanRecord[]>();
  // A span whose parent is not in the files (another system's, or not flushed yet) is a root here.
  const roots = trace.spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
  for (const s of trace.spans) {
    if (!s.parentSpanId || !ids.has(s.parentSpanId)) continue;
    const list = children.get(s.parentSpanId) ?? [];
    list.push(s);
    children.set(s.parentSpanId, list);
  }
  const when = new Date(trace.startUs / 1000).toISOString().replace("T", " ").replace("Z", "");
  const lines = [
    `trace ${trace.traceId}  ${trace.spans.length} span${trace.spans.length === 1 ? "" : "s"}, ${ms(trace.durationUs)}, ${when}`,
  ];
  const walk = (span: SpanRecord | Queued, prefix: string, branch: string) => {
    const line = `  ${prefix}${branch}${span.name}  ${ms(span.durationUs)}  +${ms(span.startUs - trace.startUs)}`;
    if ("queued" in span) {
      lines.push(`${line}  (time in queue)`);
      return;
    }
    const status =
      span.status === 2 ? `  ERROR${span.statusMessage ? ` ${span.statusMessage}` : ""}` : "";
    lines.push(`${line}  [${span.service}]${status}`);
    const queued = queuedBefore(span);
    const kids = [...(queued ? [queued] : []), ...(children.get(span.spanId) ?? [])];
    const inner = prefix + (branch === "└─ " ? "   " : branch === "├─ " ? "│  " : "");
    kids.forEach((k, i) => walk(k, inner, i === kids.length - 1 ? "└─ " : "├─ "));
  };
  for (const root of roots) walk(root, "", "");
  return lines.join("\n");
}

/** A span's time in queue, drawn as a line of its own. */
interface Queued {
  queued: true;
  name: string;
  startUs: number;
  durationUs: number;
}

function queuedBefore(span: SpanRecord): Queued | undefined {
  const inQueueMs = span.attributes["messaging.rabbitmq.time_in_queue_ms"];
  if (typeof inQueueMs !== "number") return undefined;
  const queue = span.attributes["messaging.destination.name"];
  return {
    queued: true,
    name: typeof queue === "string" ? `queued ${queue}` : "queued",
    startUs: span.startUs - inQueueMs * 1000,
    durationUs: inQueueMs * 1000,
  };
}

function ms(us: number): string {
  return `${(us / 1000).toFixed(1)} ms`;
}
