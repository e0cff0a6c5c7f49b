/**
 * The ingress process with no broker behind it: every answer is 503 with Retry-After, never 202,
 * and readiness fails so that Knative would route no traffic to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoneIngress, type LoneIngress } from "./lone-ingress.js";

describe("ingress without a reachable broker", () => {
  let ingress: LoneIngress;
  let url: string;

  beforeAll(async () => {
    ingress = await startLoneIngress();
    url = ingress.url;
  });

  afterAll(() => {
    ingress?.kill();
  });

  it("answers 503 with Retry-After and is not ready", async () => {
    const response = await fetch(`${url}/events/com.example.report.requested`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "r", period: "daily" }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await fetch(`${url}/health/readiness`)).status).toBe(503);
    expect((await fetch(`${url}/health/liveness`)).status).toBe(200);
  });

  it("still validates first: a bad event is a 400 even with the broker down", async () => {
    const response = await fetch(`${url}/events/com.example.report.requested`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "r" }),
    });
    expect(response.status).toBe(400);
  });
});
