/**
 * The local default trace exporter: finished spans as JSON lines, one file per process (so
 * processes never interleave their writes), read back by `leveler traces`. It is a real
 * SpanExporter behind the SDK's BatchSpanProcessor, so sampling costs locally what it costs in
 * production: spans are queued, batched, serialised and written off the request path.
 *
 * A file past `maxBytes` becomes `<name>.1.jsonl` (replacing the previous one), which bounds the
 * disk a long run takes to twice `maxBytes` per process.
 */
import { appendFile, mkdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";

/** One line of a traces file: what `leveler traces` needs, in plain JSON. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** SpanKind as text: internal, server, client, producer, consumer. */
  kind: string;
  service: string;
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  /** 0 unset, 1 ok, 2 error. */
  status: number;
  statusMessage?: string;
  attributes: Record<string, unknown>;
}

export interface JsonLinesSpanExporterOptions {
  dir: string;
  /** File name without extension, e.g. `ingress-1234`. */
  name: string;
  maxBytes?: number;
}

const KINDS = ["internal", "server", "client", "producer", "consumer"];

export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  // One object shape for every span, with no spread: JSON.stringify leaves out what is undefined.
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId || undefined,
    name: span.name,
    kind: KINDS[span.kind] ?? "internal",
    service: String(span.resource.attributes["service.name"] ?? "unknown"),
    startUs: Math.round(hrTimeToMicroseconds(span.startTime)),
    durationUs: Math.round(hrTimeToMicroseconds(span.duration)),
    status: span.status.code,
    statusMessage: span.status.message || undefined,
    attributes: span.attributes,
  };
}

export class JsonLinesSpanExporter implements SpanExporter {
  private readonly file: string;
  private readonly maxBytes: number;
  private ready: Promise<unknown> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private written = 0;
  private stopped = false;

  constructor(private readonly options: JsonLinesSpanExporterOptions) {
    this.file = join(options.dir, `${options.name}.jsonl`);
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped)
      return resultCallback({
        code: ExportResultCode.FAILED,
        error: new Error("exporter is shut down"),
      });
    const text = spans.map((s) => JSON.stringify(toSpanRecord(s))).join("\n") + "\n";
    // One write per batch, in order; the processor does not wait for a batch before the next.
    this.writing = this.writing
      .then(() => this.write(text))
      .then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
      );
  }

  forceFlush(): Promise<void> {
    return this.writing;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.writing;
  }

  private async write(text: string): Promise<void> {
    this.ready ??= mkdir(this.options.dir, { recursive: true }).then(() =>
      stat(this.file).then(
        (s) => (this.written = s.size),
        () => undefined,
      ),
    );
    await this.ready;
    if (this.written > this.maxBytes) {
      await rename(this.file, join(this.options.dir, `${this.options.name}.1.jsonl`)).catch(
        () => undefined,
      );
      this.written = 0;
    }
    await appendFile(this.file, text).catch(async (err: NodeJS.ErrnoException) => {
      // The directory was removed under us (someone cleared the traces): make it again.
      if (err.code !== "ENOENT") throw err;
      await mkdir(this.options.dir, { recursive: true });
      await appendFile(this.file, text);
    });
    this.written += Buffer.byteLength(text);
  }
}
