/**
 * The ingress process with no broker behind it: every answer is 503 with Retry-After, never 202,
 * and readiness fails so that Knative would route no traffic to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../platform/ports.js";

describe("ingress without a reachable broker", () => {
  let child: ChildProcess;
  let url: string;

  beforeAll(async () => {
    const [port, metricsPort, deadAmqpPort] = await Promise.all([freePort(), freePort(), freePort()]);
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(import.meta.dirname, "..", "dist", "functions", "ingress.js")], {
      env: { ...process.env, PORT: String(port), METRICS_PORT: String(metricsPort), AMQP_URL: `amqp://guest:guest@127.0.0.1:${deadAmqpPort}`, BROKER_EXCHANGE: "b.test.nothing", K_SINK: "" },
      stdio: "ignore",
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await fetch(`${url}/health/liveness`);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error("ingress did not start");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  afterAll(() => {
    child?.kill("SIGKILL");
  });

  it("answers 503 with Retry-After and is not ready", async () => {
    const response = await fetch(`${url}/events/com.example.report.requested`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reportId: "r", period: "daily" }) });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await fetch(`${url}/health/readiness`)).status).toBe(503);
    expect((await fetch(`${url}/health/liveness`)).status).toBe(200);
  });

  it("still validates first: a bad event is a 400 even with the broker down", async () => {
    const response = await fetch(`${url}/events/com.example.report.requested`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reportId: "r" }) });
    expect(response.status).toBe(400);
  });
});
