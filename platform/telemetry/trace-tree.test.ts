import { describe, expect, it } from "vitest";
import type { SpanRecord } from "../../lib/runtime/jsonl-exporter.js";
import { groupTraces } from "./trace-files.js";
import { formatTrace } from "./trace-tree.js";

const span = (
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  service: string,
  startMs: number,
  durationMs: number,
  traceId = "a".repeat(32),
): SpanRecord => ({
  traceId,
  spanId,
  ...(parentSpanId ? { parentSpanId } : {}),
  name,
  kind: "internal",
  service,
  startUs: startMs * 1000,
  durationUs: durationMs * 1000,
  status: 0,
  attributes: {},
});

describe("traces as trees", () => {
  it("nests children under parents in start order, with durations and offsets", () => {
    const spans = [
      span("4", "3", "POST", "dispatcher-order", 1_000_012, 5),
      span("1", undefined, "POST /events/{type}", "ingress", 1_000_000, 3),
      span("3", "2", "process q", "dispatcher-order", 1_000_010, 8),
      span("2", "1", "publish x", "ingress", 1_000_001, 2),
      span("5", "3", "publish x", "dispatcher-order", 1_000_017, 1),
      span("9", undefined, "other", "ingress", 999_000, 1, "b".repeat(32)),
    ];
    const [latest, older] = groupTraces(spans);
    expect(older!.traceId).toBe("b".repeat(32));
    expect(formatTrace(latest!).split("\n")).toEqual([
      expect.stringMatching(/^trace a{32} {2}5 spans, 18\.0 ms, /),
      "  POST /events/{type}  3.0 ms  +0.0 ms  [ingress]",
      "  └─ publish x  2.0 ms  +1.0 ms  [ingress]",
      "     └─ process q  8.0 ms  +10.0 ms  [dispatcher-order]",
      "        ├─ POST  5.0 ms  +12.0 ms  [dispatcher-order]",
      "        └─ publish x  1.0 ms  +17.0 ms  [dispatcher-order]",
    ]);
  });

  it("draws a dispatcher span's time in queue, from its attribute, before its children", () => {
    const process = span("3", "2", "process q", "dispatchers", 1_000_010, 8);
    process.attributes = {
      "messaging.destination.name": "q",
      "messaging.rabbitmq.time_in_queue_ms": 7,
    };
    const [t] = groupTraces([
      span("2", undefined, "publish x", "ingress", 1_000_001, 2),
      process,
      span("4", "3", "POST", "dispatchers", 1_000_012, 5),
    ]);
    expect(formatTrace(t!).split("\n").slice(1)).toEqual([
      "  publish x  2.0 ms  +0.0 ms  [ingress]",
      "  └─ process q  8.0 ms  +9.0 ms  [dispatchers]",
      "     ├─ queued q  7.0 ms  +2.0 ms  (time in queue)",
      "     └─ POST  5.0 ms  +11.0 ms  [dispatchers]",
    ]);
  });

  it("shows a span whose parent is missing as a root of its own", () => {
    const [t] = groupTraces([span("2", "gone", "POST /", "order", 5, 1)]);
    expect(formatTrace(t!)).toContain("\n  POST /  1.0 ms  +0.0 ms  [order]");
  });
});
