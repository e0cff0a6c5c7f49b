/**
 * Node's compile cache for a function's bundle, made at build time (build.mjs), as the Dockerfile
 * makes it for an image. The platform starts replicas with NODE_COMPILE_CACHE=dist/.node-compile-cache
 * (platform/serving/service-runner.ts), so without this the first replica of each function after a
 * build, which is every `npm start`, parsed and compiled its bundle while every later replica and
 * every pod loaded its compiled code: its idle RSS measured 71 MB against 68 (bench:coldstart, two
 * runs of each).
 *
 * As in the image, the bundle runs for a second and its compiled code is written, whichever way it
 * ends. What it compiles in that second (its start-up, up to listening) is what a replica's start
 * needs. It runs with no settings but ports 0, so it binds no port in use and connects to nothing:
 * the ingress without AMQP_URL or K_SINK exits on its configuration, a consumer listens on a port of
 * its own until it is stopped. The cache is keyed by the Node that makes it, this one: the project's
 * Node under `npm run build`, the one the platform runs replicas with.
 */
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";

/** How long the bundle runs before its compiled code is written (the Dockerfile's second). */
const RUN_MS = 1000;

/** Runs `bundle` (an ES module) for a second under `cacheDir` and writes what Node compiled. */
export function writeCompileCache(bundle: string, cacheDir: string): Promise<void> {
  const script = [
    `import { enableCompileCache, flushCompileCache } from "node:module";`,
    `enableCompileCache(${JSON.stringify(cacheDir)});`,
    // A bundle that fails to load still leaves what it compiled; it must not end this early.
    `import(${JSON.stringify(pathToFileURL(bundle).href)}).catch(() => {});`,
    `setTimeout(() => { flushCompileCache(); process.exit(0); }, ${RUN_MS});`,
  ].join(" ");
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { env: { PATH: process.env.PATH ?? "", PORT: "0", METRICS_PORT: "0" }, timeout: 30_000 },
      // Its exit code says nothing about the cache (a function without settings exits 1 or 2).
      () => done(),
    );
  });
}
