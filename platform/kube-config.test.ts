/**
 * Finding the kubeconfig from real files in a scratch HOME: each way it can be missing or unusable
 * is one KubeConfigError line naming what to set, and a usable one gives its cluster.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KubeConfigError, loadKubeConfig } from "./kube-config.js";

const scratch = mkdtempSync(join(tmpdir(), "leveler-kubeconfig-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A kubeconfig with one cluster `<name>` at `server`, and a context of the same name. */
function kubeconfig(file: string, name: string, current: string | undefined, server: string) {
  writeFileSync(
    join(scratch, file),
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters:\n- name: ${name}\n  cluster:\n    server: ${server}`,
      `contexts:\n- name: ${name}\n  context:\n    cluster: ${name}\n    user: ${name}`,
      `users:\n- name: ${name}\n  user: {}`,
      ...(current ? [`current-context: ${current}`] : []),
      "",
    ].join("\n"),
  );
  return join(scratch, file);
}

const emptyHome = join(scratch, "home-empty");
mkdirSync(emptyHome);

async function failure(options: Parameters<typeof loadKubeConfig>[0]): Promise<string> {
  const err = await loadKubeConfig(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeConfigError);
  const message = (err as Error).message;
  expect(message).not.toContain("\n");
  return message;
}

describe("loadKubeConfig", () => {
  it("reads ~/.kube/config when KUBECONFIG is unset", async () => {
    const home = join(scratch, "home");
    mkdirSync(join(home, ".kube"), { recursive: true });
    kubeconfig("home/.kube/config", "minikube", "minikube", "https://192.0.2.1:8443");
    const kc = await loadKubeConfig({ env: { HOME: home } });
    expect(kc.getCurrentContext()).toBe("minikube");
    expect(kc.getCurrentCluster()?.server).toBe("https://192.0.2.1:8443");
  });

  it("merges the files KUBECONFIG names, skipping those that do not exist, as kubectl does", async () => {
    const a = kubeconfig("a.yaml", "a", "a", "https://192.0.2.10");
    const b = kubeconfig("b.yaml", "b", undefined, "https://192.0.2.11");
    const kc = await loadKubeConfig({
      env: { HOME: emptyHome, KUBECONFIG: [join(scratch, "gone.yaml"), a, b].join(delimiter) },
      context: "b",
    });
    expect(kc.getContexts().map((c) => c.name)).toEqual(["a", "b"]);
    expect(kc.getCurrentCluster()?.server).toBe("https://192.0.2.11");
  });

  it("no kubeconfig anywhere names KUBECONFIG and ~/.kube/config", async () => {
    expect(await failure({ env: { HOME: emptyHome } })).toBe(
      "no kubeconfig: set KUBECONFIG, create ~/.kube/config (minikube and kind do), or run inside the cluster",
    );
  });

  it("KUBECONFIG naming only missing files says so, not ENOENT", async () => {
    const gone = join(scratch, "nowhere.yaml");
    expect(await failure({ env: { HOME: emptyHome, KUBECONFIG: gone } })).toBe(
      `no kubeconfig: KUBECONFIG names ${gone}, and no such file exists`,
    );
  });

  it("a file that is not a kubeconfig is named", async () => {
    const file = join(scratch, "broken.yaml");
    writeFileSync(file, "clusters: [\n");
    expect(await failure({ env: { HOME: emptyHome, KUBECONFIG: file } })).toMatch(
      new RegExp(`^no usable kubeconfig in ${file}: `),
    );
  });

  it("no current context names what to run, and --context where the command takes it", async () => {
    const file = kubeconfig("nocurrent.yaml", "kind-dev", undefined, "https://192.0.2.2");
    const env = { HOME: emptyHome, KUBECONFIG: file };
    expect(await failure({ env })).toBe(
      `no current context in ${file} (it has: kind-dev): kubectl config use-context NAME`,
    );
    expect(await failure({ env, contextFlag: true })).toBe(
      `no current context in ${file} (it has: kind-dev): kubectl config use-context NAME, or pass --context NAME`,
    );
  });

  it("an unknown --context lists the contexts there are", async () => {
    const file = kubeconfig("one.yaml", "prod", "prod", "https://192.0.2.3");
    expect(await failure({ env: { HOME: emptyHome, KUBECONFIG: file }, context: "staging" })).toBe(
      `no context "staging" in ${file} (it has: prod)`,
    );
  });

  it("a context whose cluster is not defined is named", async () => {
    const file = join(scratch, "dangling.yaml");
    writeFileSync(
      file,
      "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: x\n  context:\n    cluster: gone\n    user: u\ncurrent-context: x\n",
    );
    expect(await failure({ env: { HOME: emptyHome, KUBECONFIG: file } })).toBe(
      `context "x" in ${file} names a cluster it does not define: kubectl config use-context NAME`,
    );
  });

  it("a kubeconfig without contexts says to point KUBECONFIG elsewhere", async () => {
    const file = join(scratch, "empty.yaml");
    writeFileSync(file, "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n");
    expect(await failure({ env: { HOME: emptyHome, KUBECONFIG: file } })).toBe(
      `no context in ${file}: set KUBECONFIG to a kubeconfig that has one (minikube and kind write one)`,
    );
  });
});
