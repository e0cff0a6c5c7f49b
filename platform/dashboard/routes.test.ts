import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSamplingSwitch } from "../../lib/runtime/sampling-switch.js";
import { BurstSender } from "./burst.js";
import { createDashboardRoutes } from "./routes.js";
import type { HelloMessage, SamplesMessage, WireSample } from "./wire.js";

const dir = mkdtempSync(join(tmpdir(), "leveler-dashboard-"));
const configFile = join(dir, "telemetry", "config.yaml");
mkdirSync(join(dir, "dashboard"), { recursive: true });
writeFileSync(join(dir, "dashboard", "app.js"), "console.log('app')");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample(t: number, accepted = 1): WireSample {
  return {
    t,
    ingress: { accepted, refused: 0 },
    consumers: { order: 1 },
    queues: { order: 3 },
    replicas: { order: 1, ingress: 1 },
    deadLetters: 0,
    samplerRatio: 0,
    brokerConnected: true,
    totals: { accepted: t, refused: 0, processed: 0, deadLettered: 0 },
  };
}

function routes(samples: WireSample[] = [], burstSender?: BurstSender) {
  return createDashboardRoutes({
    token: "t".repeat(64),
    timeline: { intervalMs: 250, windowMs: 300_000, since: (t) => samples.filter((s) => s.t > t) },
    telemetryConfigFile: configFile,
    distDir: dir,
    ingressUrl: () => "http://127.0.0.1:1",
    streamPeriodMs: 20,
    ...(burstSender ? { burstSender } : {}),
  });
}

const post = (path: string, body: unknown) =>
  routes().request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("dashboard routes", () => {
  it("POST /api/sampling writes the file every process watches, as `leveler sampling` does", async () => {
    const r = await post("/api/sampling", { ratio: 0.25 });
    expect(r.status).toBe(200);
    expect(parseSamplingSwitch(readFileSync(configFile, "utf8")).samplerRatio).toBe(0.25);
    expect(await (await routes().request("/api/sampling")).json()).toMatchObject({
      configured: 0.25,
    });
    expect((await post("/api/sampling", { ratio: "1" })).status).toBe(200);
    expect(parseSamplingSwitch(readFileSync(configFile, "utf8")).samplerRatio).toBe(1);
  });

  it("refuses a bad ratio with 400 application/problem+json naming the field, and leaves the file alone", async () => {
    for (const ratio of [-1, 2, "abc", "", null, "0x1"]) {
      const r = await post("/api/sampling", { ratio });
      expect(r.status, JSON.stringify(ratio)).toBe(400);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      const body = (await r.json()) as { detail: string; errors: { field: string }[] };
      expect(body.detail).toMatch(/^ratio: sampler ratio must be a number from 0 to 1/);
      expect(body.errors[0]).toEqual({
        field: "ratio",
        message: expect.stringMatching(/^sampler ratio must be/) as unknown,
      });
    }
    expect(parseSamplingSwitch(readFileSync(configFile, "utf8")).samplerRatio).toBe(1);
    expect((await post("/api/sampling", "not json")).status).toBe(400);
    expect((await post("/api/sampling", [0.5])).status).toBe(400);
  });

  it("POST /api/burst answers 202 at once with what it will send; bad bodies get 400 naming the field", async () => {
    const never = (() => new Promise<Response>(() => undefined)) as typeof fetch;
    const app = routes(
      [],
      new BurstSender({ ingressUrl: () => "http://127.0.0.1:1", fetch: never, concurrency: 2 }),
    );
    const r = await app.request("/api/burst", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 50, type: "order" }),
    });
    expect(r.status).toBe(202);
    expect(((await r.json()) as { burst: unknown }).burst).toMatchObject({
      count: 50,
      types: ["com.example.order.created"],
      concurrency: 2,
      sent: 0,
    });
    const busy = await app.request("/api/burst", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 1 }),
    });
    expect(busy.status).toBe(409);
    const bad = await post("/api/burst", { count: 20_001 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: unknown[] }).errors[0]).toEqual({
      field: "count",
      message: "must be a whole number from 1 to 20000, not 20001",
    });
    expect(
      (
        (await (await post("/api/burst", { count: 1, type: "invoice" })).json()) as {
          errors: { field: string }[];
        }
      ).errors[0]!.field,
    ).toBe("type");
  });

  it("serves the bundle from dist/dashboard and nothing else", async () => {
    const js = await routes().request("/dashboard/app.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await routes().request("/dashboard/app.css")).status).toBe(404);
    expect((await routes().request("/dashboard/..%2Fpackage.json")).status).toBe(404);
    expect((await routes().request("/dashboard/config.yaml")).status).toBe(404);
  });

  it("streams the window at connect, then the new samples about once a period", async () => {
    const now = Date.now();
    const samples = [sample(now - 400_000), sample(now - 2000), sample(now - 1000)];
    const r = await routes(samples).request("/api/dashboard/stream");
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const reader = r.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const events: { event: string; data: unknown }[] = [];
    let buffer = "";
    while (events.length < 3) {
      const { value } = await reader.read();
      buffer += new TextDecoder().decode(value);
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        events.push({ event, data: JSON.parse(data) });
        if (events.length === 1) samples.push(sample(Date.now(), 7));
      }
    }
    await reader.cancel();
    const hello = events[0]!.data as HelloMessage;
    expect(events[0]!.event).toBe("hello");
    // Only the window (5 minutes), not the sample before it.
    expect(hello.samples.map((s) => s.t)).toEqual([now - 2000, now - 1000]);
    expect(hello).toMatchObject({ intervalMs: 250, windowMs: 300_000, burst: null });
    const next = events.slice(1).map((e) => e.data as SamplesMessage);
    expect(events[1]!.event).toBe("samples");
    expect(next.flatMap((m) => m.samples).map((s) => s.ingress.accepted)).toEqual([7]);
  });
});
