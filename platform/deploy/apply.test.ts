/**
 * Server-side apply's field-ownership conflicts, against a stand-in API server (plain HTTP)
 * answering as Kubernetes does: 409 with `details.causes` of reason FieldManagerConflict
 * (k8s.io/apiserver, endpoints/handlers/fieldmanager: conflict errors).
 */
import { createServer, type Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyDocs } from "./apply.js";
import { DeployError } from "./errors.js";
import { kubeConfigFor } from "./stand-in-cluster.js";

const CONFLICT = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.config.yaml',
  reason: "Conflict",
  details: {
    name: "config-telemetry",
    kind: "configmaps",
    causes: [
      {
        reason: "FieldManagerConflict",
        message: 'conflict with "kubectl-edit" using v1',
        field: ".data.config.yaml",
      },
    ],
  },
  code: 409,
};

describe("applying over fields someone else owns", () => {
  let server: Server;
  let kc: KubeConfig;
  const patches: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      res.setHeader("content-type", "application/json");
      if (req.method === "GET" && url.pathname === "/api/v1") {
        res.end(
          JSON.stringify({
            kind: "APIResourceList",
            groupVersion: "v1",
            resources: [
              { name: "configmaps", namespaced: true, kind: "ConfigMap", verbs: ["patch"] },
            ],
          }),
        );
        return;
      }
      if (req.method === "PATCH") {
        const force = url.searchParams.get("force") === "true";
        patches.push(`force=${force}`);
        req.resume();
        if (!force) {
          res.statusCode = 409;
          res.end(JSON.stringify(CONFLICT));
        } else res.end(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: {} }));
        return;
      }
      res.statusCode = 404;
      res.end("{}");
    });
    kc = await kubeConfigFor(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const docs = [
    {
      file: "knative/config-telemetry.yaml",
      doc: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "config-telemetry", namespace: "leveler" },
        data: { "config.yaml": "samplerRatio: 0\n" },
      },
    },
  ];

  it("stops, naming the field and its owner, instead of taking it silently", async () => {
    patches.length = 0;
    const lines: string[] = [];
    const failure = await applyDocs(kc, docs, (l) => lines.push(l)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as Error).message).toContain('.data.config.yaml (owned by "kubectl-edit")');
    expect((failure as Error).message).toContain("--force-conflicts");
    expect(patches).toEqual(["force=false"]);
  });

  it("with forceConflicts, takes them and says which and from whom", async () => {
    patches.length = 0;
    const lines: string[] = [];
    const result = await applyDocs(kc, docs, (l) => lines.push(l), { forceConflicts: true });
    expect(result.applied).toEqual(["ConfigMap leveler/config-telemetry"]);
    expect(patches).toEqual(["force=false", "force=true"]);
    expect(lines[0]).toBe(
      'taking over from other field managers on ConfigMap leveler/config-telemetry: .data.config.yaml (owned by "kubectl-edit")',
    );
  });
});
