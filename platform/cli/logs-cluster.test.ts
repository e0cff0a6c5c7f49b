/**
 * `leveler logs --cluster` against a stand-in API server (plain HTTP) answering the pod list by
 * label and each pod's log (`/api/v1/namespaces/<ns>/pods/<pod>/log?container&timestamps&
 * sinceSeconds`, lines prefixed with RFC3339Nano times as the kubelet writes them).
 * Untested without a cluster: real RBAC (pods, pods/log) and following a live pod.
 */
import { createServer, type Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clusterLogs } from "./logs-cluster.js";
import { kubeConfigFor } from "../deploy/stand-in-cluster.js";

const pod = (name: string) => ({
  metadata: { name },
  spec: { containers: [{ name: "user-container" }, { name: "queue-proxy" }] },
});

const LOGS: Record<string, string> = {
  "order-created-00001-deployment-a":
    "2026-01-01T00:00:01.100000000Z a first\n2026-01-01T00:00:03.5Z a third\n",
  "order-created-00001-deployment-b": "2026-01-01T00:00:02.000000001Z b second\n",
};

describe("leveler logs --cluster", () => {
  let server: Server;
  let kc: KubeConfig;
  const queries: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      const send = (status: number, body: unknown) => {
        res.statusCode = status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      };
      if (url.pathname === "/api/v1/namespaces/leveler/pods") {
        const fn = url.searchParams.get("labelSelector")?.split("=")[1];
        return send(200, {
          kind: "PodList",
          apiVersion: "v1",
          items: fn === "order-created" ? Object.keys(LOGS).map(pod) : [],
        });
      }
      const m = /^\/api\/v1\/namespaces\/leveler\/pods\/([^/]+)\/log$/.exec(url.pathname);
      if (m && LOGS[m[1]!]) {
        queries.push(`${m[1]} ${url.searchParams.toString()}`);
        res.setHeader("content-type", "text/plain");
        res.end(LOGS[m[1]!]);
        return;
      }
      send(404, { kind: "Status", code: 404, message: "not found" });
    });
    kc = await kubeConfigFor(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("reads each pod's user container since the cut and interleaves the lines by time", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    try {
      expect(
        await clusterLogs("order-created", "leveler", { follow: false, sinceSeconds: 300 }, kc),
      ).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual([
      "order-created-00001-deployment-a | 2026-01-01T00:00:01.100000000Z a first",
      "order-created-00001-deployment-b | 2026-01-01T00:00:02.000000001Z b second",
      "order-created-00001-deployment-a | 2026-01-01T00:00:03.5Z a third",
    ]);
    expect(queries.sort()).toEqual([
      "order-created-00001-deployment-a container=user-container&follow=false&pretty=false&previous=false&sinceSeconds=300&timestamps=true",
      "order-created-00001-deployment-b container=user-container&follow=false&pretty=false&previous=false&sinceSeconds=300&timestamps=true",
    ]);
  });

  it("a function with no pods is one line", async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((l: string) => void errors.push(l));
    try {
      expect(await clusterLogs("shipment", "leveler", { follow: false }, kc)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors).toEqual(['leveler logs: no pods of "shipment" in leveler (scaled to zero?)']);
  });
});
