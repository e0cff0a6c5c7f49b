/**
 * `leveler deploy` in-process: --dry-run renders YAML that parses back to the checked manifests,
 * and every way it can fail is one line and a non-zero exit (no engine, no engine daemon, no
 * kubeconfig, an unreachable cluster, bad arguments).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { deploy } from "./deploy.js";
import { applyOrder } from "./apply.js";
import { withDigest } from "./images.js";
import { loadKustomization, renderDocs } from "./render.js";

const root = join(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "leveler-deploy-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function runDeploy(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = "";
  const err: string[] = [];
  const code = await deploy(args, {
    root,
    env: { HOME: scratch, PATH: scratch, ...env },
    out: (t) => (out += t),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

describe("leveler deploy", () => {
  it("--dry-run prints the rendered manifests with the registry's images and touches nothing", async () => {
    const r = await runDeploy([
      "--dry-run",
      "--registry",
      "registry.example:5000/acme",
      "--namespace",
      "shop",
      "--tag",
      "t1",
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    type Doc = {
      kind: string;
      metadata: { name: string; namespace?: string };
      spec: {
        template: { spec: { containers: { image: string }[] } };
        rabbitmqClusterReference: { namespace: string };
      };
    };
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as Doc);
    expect(docs.map((d) => d.kind)).toEqual(
      expect.arrayContaining([
        "Namespace",
        "Service",
        "Broker",
        "Trigger",
        "SinkBinding",
        "RabbitmqCluster",
        "RabbitmqBrokerConfig",
      ]),
    );
    const order = docs.find((d) => d.kind === "Service" && d.metadata.name === "order")!;
    expect(order.metadata.namespace).toBe("shop");
    expect(order.spec.template.spec.containers[0]!.image).toBe(
      "registry.example:5000/acme/order:t1",
    );
    const config = docs.find((d) => d.kind === "RabbitmqBrokerConfig")!;
    expect(config.spec.rabbitmqClusterReference.namespace).toBe("shop");
    expect(
      docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "config-autoscaler"),
    ).toBeUndefined();
  });

  it("--dry-run without a registry keeps the images as written", async () => {
    const r = await runDeploy(["--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("image: leveler/ingress");
  });

  const failures: [string, string[], NodeJS.ProcessEnv, RegExp, number][] = [
    ["no registry", [], {}, /--registry is required/, 1],
    ["a bad registry", ["--registry", "Not A Registry"], {}, /is not a registry path/, 1],
    ["an unknown option", ["--dry-run", "--force"], {}, /Unknown option '--force'/, 2],
    [
      "a bad namespace",
      ["--dry-run", "--namespace", "Shop_1"],
      {},
      /not a valid Kubernetes namespace/,
      1,
    ],
    [
      "no container engine",
      ["--registry", "r.example/x"],
      {},
      /no container engine: install docker or podman/,
      1,
    ],
    [
      "an engine that does not answer",
      ["--registry", "r.example/x", "--engine", "docker"],
      { FAKE_ENGINE: "down" },
      /docker is installed but does not answer: Cannot connect/,
      1,
    ],
    ["no kubeconfig", ["--registry", "r.example/x"], { FAKE_ENGINE: "up" }, /no kubeconfig/, 1],
    [
      "an unreachable cluster",
      ["--registry", "r.example/x"],
      { FAKE_ENGINE: "up", KUBECONFIG: "kubeconfig" },
      /cluster https:\/\/127\.0\.0\.1:1 \(context dead\) does not answer/,
      1,
    ],
  ];
  it.each(failures)("fails with one line on %s", async (_what, args, env, message, exitCode) => {
    if (env.FAKE_ENGINE) {
      // A stand-in docker: `docker info` succeeds or fails like a client without its daemon.
      const fake = join(scratch, "docker");
      const answer =
        env.FAKE_ENGINE === "up"
          ? "echo 28.0.0"
          : 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1';
      writeFileSync(fake, `#!/bin/sh\n${answer}\n`);
      chmodSync(fake, 0o755);
    }
    if (env.KUBECONFIG) {
      const file = join(scratch, "kubeconfig");
      writeFileSync(
        file,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n- name: dead\n  context:\n    cluster: dead\n    user: u\ncurrent-context: dead\nusers:\n- name: u\n  user: {}\n`,
      );
      env = { ...env, KUBECONFIG: file };
    }
    const r = await runDeploy(args, { ...env, PATH: env.FAKE_ENGINE ? scratch : "/nonexistent" });
    rmSync(join(scratch, "docker"), { force: true });
    expect(r.code).toBe(exitCode);
    expect(r.out).toBe("");
    expect(r.err.join("\n")).toMatch(message);
    expect(r.err.join("\n")).not.toMatch(/\n\s+at /); // no stack trace
    if (exitCode === 1) expect(r.err).toHaveLength(1);
  });

  it("applies in an order a cluster can start from (apply.ts says why each goes where)", () => {
    const kinds = [
      "Service",
      "SinkBinding",
      "Trigger",
      "Broker",
      "Queue",
      "OperatorPolicy",
      "RabbitmqBrokerConfig",
      "RabbitmqCluster",
      "ConfigMap",
      "NetworkPolicy",
      "Namespace",
    ];
    const docs = kinds.map((kind) => ({
      file: "f",
      doc: { apiVersion: "v", kind, metadata: { name: kind } },
    }));
    expect(applyOrder(docs).map((d) => d.doc.kind)).toEqual([...kinds].reverse());
  });

  it("applies the project's own manifests in that order", () => {
    const r = renderDocs(loadKustomization(join(root, "knative"), root), { namespace: "leveler" });
    const order = applyOrder(r).map((d) => d.doc.kind);
    const first = (kind: string) => order.indexOf(kind);
    const last = (kind: string) => order.lastIndexOf(kind);
    expect(first("Namespace")).toBe(0);
    expect(last("ConfigMap")).toBeLessThan(first("RabbitmqCluster"));
    expect(last("Queue")).toBeLessThan(first("Broker"));
    expect(last("Broker")).toBeLessThan(first("Trigger"));
    expect(last("Trigger")).toBeLessThan(first("SinkBinding"));
    expect(last("SinkBinding")).toBeLessThan(first("Service"));
    expect(order.at(-1)).toBe("Service");
  });

  it("--registry dev.local/leveler renders images Knative runs without resolving a digest", async () => {
    // knative/serving config/core/configmaps/deployment.yaml (98e5ef90aa7033797aa0a61ef97f3ff7e49a3944):
    // registries-skipping-tag-resolving "kind.local,ko.local,dev.local".
    const r = await runDeploy(["--dry-run", "--registry", "dev.local/leveler", "--tag", "dev"]);
    expect(r.code).toBe(0);
    const images = parseAllDocuments(r.out)
      .map(
        (d) =>
          d.toJS() as {
            kind: string;
            spec?: { template?: { spec?: { containers?: { image: string }[] } } };
          },
      )
      .filter((d) => d.kind === "Service")
      .map((d) => d.spec!.template!.spec!.containers![0]!.image);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^dev\.local\/leveler\/[a-z-]+:dev$/);
    const kinds = parseAllDocuments(r.out).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds.indexOf("Trigger")).toBeLessThan(kinds.indexOf("Service")); // printed in apply order
  });

  it("pins a pushed image by digest only when the digest is one", () => {
    const digest = `sha256:${"d".repeat(64)}`;
    expect(withDigest("r/order:t", digest)).toBe(`r/order:t@${digest}`);
    expect(withDigest("r/order:t", "")).toBe("r/order:t");
  });
});
