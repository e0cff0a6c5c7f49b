import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceSpec } from "../manifests.js";
import { ServiceRunner } from "./service-runner.js";

// A bundle that answers its readiness probe with the compile cache Node gave it.
const BUNDLE = `
import { createServer } from "node:http";
import { getCompileCacheDir } from "node:module";
createServer((_, res) => res.end(String(getCompileCacheDir()))).listen(Number(process.env.PORT), "127.0.0.1");
process.channel?.unref();
process.once("disconnect", () => process.exit(0));
process.once("SIGTERM", () => process.exit(0));
`;

const spec = (bundle: string): ServiceSpec => ({
  kind: "Service",
  name: "fn",
  namespace: "default",
  file: "fn.yaml",
  bundle,
  env: {},
  annotations: {},
  labels: {},
  containerConcurrency: 0,
  timeoutSeconds: 5,
  readinessPath: "/",
  cpuRequestMillis: undefined,
});

describe("service runner", () => {
  let runner: ServiceRunner | undefined;
  afterEach(() => runner?.stop());

  it("starts replicas with a compile cache beside the bundles, which the next replica reads", async () => {
    const distDir = mkdtempSync(join(tmpdir(), "leveler-runner-"));
    mkdirSync(join(distDir, "functions"));
    writeFileSync(join(distDir, "functions", "fn.js"), BUNDLE);
    // Without a package.json saying "module", Node would first try the file as CommonJS.
    writeFileSync(join(distDir, "package.json"), '{"type":"module"}');
    runner = new ServiceRunner({
      // Node's own account of the cache goes to each replica's log.
      spec: { ...spec("fn"), env: { NODE_DEBUG_NATIVE: "COMPILE_CACHE" } },
      distDir,
      logDir: join(distDir, "logs"),
      baseEnv: { PATH: process.env.PATH ?? "" },
      readinessTimeoutMs: 10_000,
      terminationGraceMs: 1000,
      onEndpoints: () => undefined,
      log: () => undefined,
    });
    const cacheRoot = join(distDir, ".node-compile-cache");

    await runner.scaleTo(1);
    const [first] = runner.readyReplicas;
    const answer = await (await fetch(first!.url)).text();
    expect(answer.startsWith(cacheRoot)).toBe(true);
    // Node writes the compiled code when the process ends.
    await runner.scaleTo(0);
    await first!.exited;
    const entries = readdirSync(answer);
    expect(entries).toHaveLength(1);

    await runner.scaleTo(1);
    expect(await (await fetch(runner.readyReplicas[0]!.url)).text()).toBe(answer);
    const log = (i: number) => readFileSync(join(distDir, "logs", `fn-${i}.log`), "utf8");
    const accepted = /V8 code cache for ESM \S+fn\.js was accepted/;
    expect(log(0)).not.toMatch(accepted);
    await expect.poll(() => log(1), { timeout: 10_000 }).toMatch(accepted);
    expect(readdirSync(answer)).toEqual(entries);
  });
});
