/**
 * Security review, issue 18 item 7, end to end: at a real ingress tracing at a tiny ratio, a
 * client's sampled trace context (HTTP `traceparent` and the event's own extension) must not
 * travel on with the event, or every later hop would trace it.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdgeIngress, type EdgeIngress } from "./edge-ingress.js";

const SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

let ingress: EdgeIngress;
beforeAll(async () => {
  ingress = await startEdgeIngress({
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0.000000000001",
    LEVELER_TELEMETRY_CONFIG: join(tmpdir(), `leveler-no-such-switch-${process.pid}.yaml`),
  });
});
afterAll(async () => {
  await ingress?.stop();
});

describe("a client's sampled trace context at the edge", () => {
  it("is not published with the event", async () => {
    const r = await fetch(`${ingress.url}/events`, {
      method: "POST",
      headers: {
        traceparent: SAMPLED,
        "ce-specversion": "1.0",
        "ce-id": "traced-by-the-client",
        "ce-source": "/test/tracing",
        "ce-type": "com.example.report.requested",
        "ce-traceparent": SAMPLED,
        "ce-tracestate": "client=1",
        "content-type": "application/json",
      },
      body: JSON.stringify({ reportId: "r", period: "daily" }),
    });
    expect(r.status).toBe(202);
    for (const deadline = Date.now() + 10_000; ingress.published.length === 0;) {
      if (Date.now() > deadline) throw new Error("the event was not published");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const headers = ingress.published[0]!.properties.headers ?? {};
    expect(headers.id).toBe("traced-by-the-client");
    expect(headers).not.toHaveProperty("traceparent");
    expect(headers).not.toHaveProperty("tracestate");
  });
});
