/**
 * Reads back what the JSON-lines exporter wrote (every `*.jsonl` in the traces directory, one or
 * two per process) and assembles traces.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SpanRecord } from "../../lib/runtime/jsonl-exporter.js";

export interface Trace {
  traceId: string;
  spans: SpanRecord[];
  /** Earliest span start, µs since the epoch. */
  startUs: number;
  /** From the earliest start to the latest end. */
  durationUs: number;
}

export function readSpans(dir: string): SpanRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
  } catch {
    return [];
  }
  const spans: SpanRecord[] = [];
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (!line) continue;
      try {
        spans.push(JSON.parse(line) as SpanRecord);
      } catch {
        // A batch being written right now: its last line may be incomplete.
      }
    }
  }
  return spans;
}

/** Traces, most recent first. */
export function groupTraces(spans: readonly SpanRecord[]): Trace[] {
  const byId = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    const list = byId.get(s.traceId);
    if (list) list.push(s);
    else byId.set(s.traceId, [s]);
  }
  return [...byId]
    .map(([traceId, list]) => {
      const startUs = Math.min(...list.map((s) => s.startUs));
      const endUs = Math.max(...list.map((s) => s.startUs + s.durationUs));
      return {
        traceId,
        spans: list.sort((a, b) => a.startUs - b.startUs),
        startUs,
        durationUs: endUs - startUs,
      };
    })
    .sort((a, b) => b.startUs - a.startUs);
}
