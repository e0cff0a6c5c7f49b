/**
 * The monitoring switch end to end, against the real RabbitMQ and real processes: the sampler
 * ratio set by `leveler sampling` while the pipeline runs, the share of traces it keeps, one
 * trace from the ingress through the broker and the dispatcher to the consumer, and bad ratios
 * refused. Waits are on conditions (a gauge, a message count, spans in the files), never on time.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsumeMessage } from "amqplib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SpanRecord } from "../lib/runtime/jsonl-exporter.js";
import { localTelemetryPaths, telemetryEnv } from "../platform/telemetry/local-switch.js";
import { scrapeSamplerRatio } from "../platform/telemetry/sampler-status.js";
import { groupTraces, readSpans } from "../platform/telemetry/trace-files.js";
import { post, startTestPlatform, type Tap, type TestPlatform } from "./harness.js";

const ORDER = "com.example.order.created";
const order = (i: number) =>
  JSON.stringify({
    orderId: `o-${i}`,
    currency: "EUR",
    items: [{ sku: "A", quantity: 1, unitPrice: 9.5 }],
  });
const CLI = join(import.meta.dirname, "..", "dist", "platform", "cli.js");

describe("telemetry: the sampler ratio as a live switch (real RabbitMQ, real processes)", () => {
  let t: TestPlatform;
  let stateDir: string;
  let orders: Tap;
  let replies: Tap;
  let sent = 0;
  const paths = () => localTelemetryPaths(stateDir);

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      env: { ...process.env, LEVELER_STATE_DIR: stateDir },
      encoding: "utf8",
    });

  /** Every running function and dispatcher process applies `ratio` (their gauge says so). */
  const applied = async (ratio: number) => {
    await vi.waitFor(
      async () => {
        const urls = (await t.status()).functions.flatMap((f) =>
          f.processes.filter((p) => p.state === "ready").map((p) => p.metricsUrl),
        );
        expect(urls.length).toBeGreaterThan(0);
        expect(await Promise.all(urls.map(scrapeSamplerRatio))).toEqual(urls.map(() => ratio));
        // The status API reports the ratio the processes (functions and dispatchers) apply.
        expect((await t.status()).telemetry.samplerRatio).toBe(ratio);
      },
      { timeout: 15_000, interval: 100 },
    );
  };

  /** Posts `n` orders (50 at a time) and waits until the broker holds them and the consumer replied. */
  const sendOrders = async (n: number): Promise<ConsumeMessage[]> => {
    const before = orders.messages.length;
    const repliesBefore = replies.messages.length;
    for (let done = 0; done < n;) {
      const chunk = Math.min(50, n - done);
      const answers = await Promise.all(
        Array.from({ length: chunk }, () =>
          post(`${t.ingressUrl}/events/${ORDER}`, {
            headers: { "content-type": "application/json" },
            body: order(sent++),
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
      done += chunk;
    }
    await orders.waitFor(before + n);
    await replies.waitFor(repliesBefore + n, 120_000);
    return orders.messages.slice(before, before + n);
  };
  const sampledFlag = (m: ConsumeMessage) => {
    const traceparent = m.properties.headers?.traceparent as string | undefined;
    return traceparent === undefined ? undefined : traceparent.endsWith("-01");
  };
  const traceIdOf = (m: ConsumeMessage) => String(m.properties.headers?.traceparent).split("-")[1]!;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "leveler-telemetry-state-"));
    t = await startTestPlatform({
      // What the platform hands every process; spans are flushed every 100 ms so checks are quick.
      env: {
        LEVELER_STATE_DIR: stateDir,
        ...telemetryEnv(paths()),
        OTEL_BSP_SCHEDULE_DELAY: "100",
      },
    });
    orders = await t.tap({ type: ORDER });
    replies = await t.tap({ type: `${ORDER}.processed` });
  });

  afterAll(async () => {
    await t?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("at ratio 0 traces nothing: no trace context on the events or the replies, no spans", async () => {
    // Whatever the platform started with (the ConfigMap's ratio), the switch turns it off.
    expect(cli("sampling", "0").status).toBe(0);
    await applied(0);
    const messages = await sendOrders(100);
    expect(messages.map(sampledFlag)).toEqual(messages.map(() => undefined));
    expect(replies.messages.filter((m) => m.properties.headers?.traceparent !== undefined)).toEqual(
      [],
    );
    expect(readSpans(paths().tracesDir)).toEqual([]);
  });

  it("refuses -1, 2 and abc with one line and exit code 2, and the old value stays in force", async () => {
    for (const bad of ["-1", "2", "abc"]) {
      const r = cli("sampling", bad);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split("\n")).toEqual([
        expect.stringContaining(`must be a number from 0 to 1`),
      ]);
    }
    expect(cli("sampling").stdout.trim()).toBe("0");
    // A bad file written by hand: every process logs why it ignores it and keeps the last good value.
    writeFileSync(paths().switchFile, "samplerRatio: abc\n");
    await vi.waitFor(
      () =>
        expect(readFileSync(join(stateDir, "logs", "ingress-0.log"), "utf8")).toMatch(
          /ignored, last good value stays/,
        ),
      { timeout: 15_000 },
    );
    await applied(0);
  });

  it("turned to 0.25 while events flow, keeps a quarter of 2,000 traces (within the binomial spread), each kept whole", async () => {
    const r = cli("sampling", "0.25");
    expect(r.status).toBe(0);
    await applied(0.25);
    const n = 2000;
    const messages = await sendOrders(n);
    const flags = messages.map(sampledFlag);
    // A kept trace's events carry its context; a dropped one's carry none, so no later hop records them.
    expect(flags.filter((f) => f === false)).toEqual([]);
    const kept = flags.filter(Boolean).length;
    const sd = Math.sqrt(n * 0.25 * 0.75); // ≈ 19.4
    expect(Math.abs(kept - n * 0.25)).toBeLessThan(5 * sd);

    // The files hold the ingress span of every kept trace, and no other trace (ratio 0 ran before).
    const keptIds = new Set(messages.filter((m) => sampledFlag(m)).map(traceIdOf));
    await vi.waitFor(
      () => {
        const ingressTraces = new Set(
          readSpans(paths().tracesDir)
            .filter((s) => s.service === "ingress" && s.kind === "server")
            .map((s) => s.traceId),
        );
        expect([...keptIds].filter((id) => !ingressTraces.has(id))).toEqual([]);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(
      [...new Set(readSpans(paths().tracesDir).map((s) => s.traceId))].filter(
        (id) => !keptIds.has(id),
      ),
    ).toEqual([]);

    // Each kept trace runs ingress → dispatcher → consumer, the consumer span a descendant of the ingress span.
    await vi.waitFor(
      () => {
        const traces = groupTraces(readSpans(paths().tracesDir)).filter((tr) =>
          keptIds.has(tr.traceId),
        );
        const incomplete = traces
          .filter((tr) => !consumerDescendsFromIngress(tr.spans))
          .map((tr) => tr.traceId);
        expect(traces.length).toBe(keptIds.size);
        expect(incomplete).toEqual([]);
      },
      { timeout: 30_000, interval: 200 },
    );

    // Switched again while the last of those are still being processed: every new trace is kept.
    expect(cli("sampling", "1").status).toBe(0);
    await applied(1);
    const all = await sendOrders(200);
    expect(all.map(sampledFlag)).toEqual(all.map(() => true));
  }, 240_000);

  it("`leveler traces` prints a trace as an indented tree with durations", () => {
    const r = cli("traces", "--limit", "1");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^trace [0-9a-f]{32} {2}\d+ spans, [\d.]+ ms/);
    expect(r.stdout).toMatch(
      /\n {2}POST \/events\/\{type\} {2}[\d.]+ ms {2}\+0\.0 ms {2}\[ingress\]/,
    );
    // The publish is on the ingress's span (one span per request), not a span of its own: the
    // dispatcher's span is the ingress span's child.
    expect(r.stdout).not.toMatch(/publish b\.leveler/);
    expect(r.stdout).toMatch(/\[ingress\]\n {2}[├└]─ process leveler\.order\.\S+ /);
    expect(r.stdout).toMatch(
      /queued leveler\.order\.\S+ {2}[\d.]+ ms {2}\+[\d.]+ ms {2}\(time in queue\)/,
    );
    expect(r.stdout).toMatch(/POST \/ {2}[\d.]+ ms {2}\+[\d.]+ ms {2}\[order\]/);
  });
});

/** The order consumer's span, following parents up, reaches the ingress SERVER span. */
function consumerDescendsFromIngress(spans: readonly SpanRecord[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const consumer = spans.find(
    (s) =>
      s.service === "order" &&
      s.kind === "server" &&
      s.attributes["cloudevents.event_type"] === ORDER,
  );
  const names: string[] = [];
  for (let s = consumer; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) {
    names.push(`${s.service}:${s.name}`);
    if (s.service === "ingress" && s.kind === "server")
      // The order Trigger's dispatcher, in the process all four Triggers share (dispatcher-group.ts).
      return names.some((n) => n.startsWith("dispatchers:process leveler.order."));
  }
  return false;
}
