/**
 * Builds one image per function from the Dockerfile (build arg FUNCTION) and pushes it, with
 * `docker` or `podman`, whichever is installed and answers. Returns the pushed references, by
 * digest when the engine reports one (a tag can move; a digest is what was tested).
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { DeployError } from "./errors.js";

export type EngineName = "docker" | "podman";

export interface ContainerEngine {
  name: EngineName;
  /** Absolute path of the executable. */
  path: string;
}

/** The first of `docker`, `podman` on PATH (or the one asked for). No engine check yet. */
export function findEngine(
  env: NodeJS.ProcessEnv = process.env,
  wanted?: EngineName,
): ContainerEngine {
  const candidates: EngineName[] = wanted ? [wanted] : ["docker", "podman"];
  for (const name of candidates) {
    const path = onPath(name, env);
    if (path) return { name, path };
  }
  throw new DeployError(
    `no container engine: install docker or podman (looked for ${candidates.join(", ")} on PATH)`,
  );
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails with one line when the engine's daemon (docker) or service (podman) does not answer. */
export async function checkEngine(engine: ContainerEngine): Promise<void> {
  try {
    await run(engine.path, ["info", "--format", "{{.ServerVersion}}"], 20_000);
  } catch (err) {
    throw new DeployError(
      `${engine.name} is installed but does not answer: ${firstLine((err as Error).message)}`,
      { cause: err },
    );
  }
}

export interface BuildOptions {
  engine: ContainerEngine;
  /** Project root: the build context, with the Dockerfile. */
  root: string;
  /** e.g. `ghcr.io/acme/leveler`; each function becomes `<registry>/<function>:<tag>`. */
  registry: string;
  tag: string;
  functions: readonly string[];
  /** Build and push output goes here (stderr), so stdout stays clean. */
  log: (line: string) => void;
}

/** Builds and pushes every function's image; resolves to function → pushed reference. */
export async function buildAndPush(options: BuildOptions): Promise<Map<string, string>> {
  const { engine, root, registry, tag, log } = options;
  const pushed = new Map<string, string>();
  for (const fn of options.functions) {
    const ref = imageRef(registry, fn, tag);
    log(`building ${ref}`);
    await stream(
      engine.path,
      [
        "build",
        "--file",
        join(root, "Dockerfile"),
        "--build-arg",
        `FUNCTION=${fn}`,
        "--tag",
        ref,
        root,
      ],
      `${engine.name} build of ${fn}`,
    );
    log(`pushing ${ref}`);
    pushed.set(fn, await push(engine, ref));
  }
  return pushed;
}

export function imageRef(registry: string, fn: string, tag: string): string {
  return `${registry.replace(/\/+$/, "")}/${fn}:${tag}`;
}

async function push(engine: ContainerEngine, ref: string): Promise<string> {
  if (engine.name === "podman") {
    const dir = mkdtempSync(join(tmpdir(), "leveler-digest-"));
    try {
      const digestFile = join(dir, "digest");
      await stream(engine.path, ["push", "--digestfile", digestFile, ref], `podman push of ${ref}`);
      return withDigest(ref, readFileSync(digestFile, "utf8").trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await stream(engine.path, ["push", ref], `docker push of ${ref}`);
  // After a push docker records the registry's digest among the image's RepoDigests.
  const repo = ref.slice(0, ref.lastIndexOf(":"));
  const out = await run(
    engine.path,
    ["image", "inspect", "--format", "{{json .RepoDigests}}", ref],
    20_000,
  ).catch(() => "[]");
  const digests = (JSON.parse(out || "[]") as string[] | null) ?? [];
  const match = digests.find((d) => d.startsWith(`${repo}@`));
  return match ? withDigest(ref, match.slice(repo.length + 1)) : ref;
}

/** `r/fn:tag` + `sha256:…` → `r/fn:tag@sha256:…` (the tag stays for people; the digest wins). */
export function withDigest(ref: string, digest: string): string {
  return /^sha256:[0-9a-f]{64}$/.test(digest) ? `${ref}@${digest}` : ref;
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(stdout.trim());
    });
  });
}

/** Runs a long step with its output on stderr; one line on failure. */
function stream(file: string, args: readonly string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", process.stderr, process.stderr] });
    child.on("error", (err) => reject(new DeployError(`${what} could not start: ${err.message}`)));
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new DeployError(`${what} failed (${signal ?? `exit ${code}`}); its output is above`),
        );
    });
  });
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .find((l) => l.trim())
      ?.trim() ?? text
  );
}
