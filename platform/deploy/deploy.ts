/**
 * `leveler deploy`: build and push one image per function, render the manifests with the pushed
 * references, check them, and server-side apply them. `--dry-run` renders and checks only (no
 * engine, registry or cluster touched) and prints the YAML. Any failure is one line on stderr and
 * a non-zero exit, never a stack trace.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { schemas } from "../../functions/events/schemas.js";
import { KubeConfigError } from "../kube-config.js";
import { applyDocs, applyOrder, connect } from "./apply.js";
import { checkManifests } from "./checks.js";
import { DeployError } from "./errors.js";
import { buildAndPush, checkEngine, findEngine, imageRef } from "./images.js";
import {
  DEFAULT_NAMESPACE,
  loadKustomization,
  projectRoot,
  RenderError,
  renderDocs,
  toYaml,
} from "./render.js";

export const DEPLOY_USAGE = `  deploy --registry R [--dry-run] [--namespace NS] [--tag T] [--engine docker|podman]
         [--force-conflicts] [--replace]
                            build and push an image per function to R, render knative/ and
                            rabbitmq-eventing/ with the pushed digests, apply them (server-side)
                            to the kubeconfig's cluster; --dry-run prints the YAML and touches
                            nothing; a field another manager owns stops the deploy, named,
                            unless --force-conflicts (then each one taken is named); an edit
                            the cluster refuses (a Broker's spec, a Trigger's filter, a
                            RabbitmqBrokerConfig's spec) stops it before anything is applied,
                            unless --replace (then each is deleted and recreated, after saying
                            what that drops). The RBAC it needs: knative/deployer-rbac.yaml`;

export interface DeployIo {
  root: string;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (line: string) => void;
}

/** Runs the command; resolves to the exit code. */
export async function deploy(args: readonly string[], io: DeployIo): Promise<number> {
  try {
    await run(args, io);
    return 0;
  } catch (err) {
    if (
      err instanceof DeployError ||
      err instanceof RenderError ||
      err instanceof KubeConfigError
    ) {
      io.err(`leveler deploy: ${err.message}`);
      return 1;
    }
    if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`leveler deploy: ${(err as Error).message}\nusage:\n${DEPLOY_USAGE}`);
      return 2;
    }
    io.err(`leveler deploy: unexpected failure: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

async function run(args: readonly string[], io: DeployIo): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      registry: { type: "string" },
      namespace: { type: "string", default: DEFAULT_NAMESPACE },
      tag: { type: "string" },
      engine: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "force-conflicts": { type: "boolean", default: false },
      replace: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const dryRun = values["dry-run"] ?? false;
  const registry = values.registry?.trim();
  if (!dryRun && !registry)
    throw new DeployError(
      "--registry is required (e.g. --registry ghcr.io/you/leveler; for minikube see knative/README.md)",
    );
  if (registry !== undefined && !/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/.test(registry))
    throw new DeployError(
      `--registry "${registry}" is not a registry path such as ghcr.io/you/leveler`,
    );
  if (values.engine !== undefined && values.engine !== "docker" && values.engine !== "podman")
    throw new DeployError(`--engine must be docker or podman, not "${values.engine}"`);
  const tag = values.tag ?? defaultTag(io.root);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag))
    throw new DeployError(`--tag "${tag}" is not a valid image tag`);

  const functions = listFunctions(io.root);
  const sources = loadKustomization(join(io.root, "knative"), io.root);
  const check = (images?: Map<string, string>) => {
    const rendered = renderDocs(sources, {
      namespace: values.namespace,
      ...(images ? { images } : {}),
    });
    const problems = checkManifests({
      docs: rendered,
      eventTypes: schemas.map((s) => s.$id),
      functions,
    });
    if (problems.length)
      throw new DeployError(
        `the manifests do not pass leveler's checks:\n  ${problems.join("\n  ")}`,
      );
    return rendered;
  };

  if (dryRun) {
    // Tag references (no digest: nothing was pushed), so the output shows what would be applied.
    const images = registry
      ? new Map(functions.map((fn) => [fn, imageRef(registry, fn, tag)]))
      : undefined;
    // In apply order, so `| kubectl apply -f -` creates them in an order a cluster starts from.
    io.out(toYaml(applyOrder(check(images))));
    return;
  }

  check(); // the sources themselves, before anything slow happens
  const engine = findEngine(io.env, values.engine);
  await checkEngine(engine);
  const kc = await connect(io.env);
  const pushed = await buildAndPush({
    engine,
    root: io.root,
    registry: registry!,
    tag,
    functions,
    log: io.err,
  });
  const rendered = check(pushed);
  const { applied } = await applyDocs(kc, rendered, io.err, {
    forceConflicts: values["force-conflicts"] ?? false,
    replace: values.replace ?? false,
  });
  io.err(
    `deployed ${applied.length} objects to namespace ${values.namespace} on ${kc.getCurrentContext()}`,
  );
}

/** Folders under functions/ with a main.ts, as build.mjs bundles them. */
export function listFunctions(root: string): string[] {
  const dir = join(root, "functions");
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "main.ts")))
    .map((d) => d.name)
    .sort();
}

/** The commit (with `-dirty` when the tree has changes), else the package version. */
function defaultTag(root: string): string {
  try {
    const opts = {
      cwd: root,
      encoding: "utf8" as const,
      stdio: ["ignore", "pipe", "ignore"] as ["ignore", "pipe", "ignore"],
    };
    const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], opts).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], opts).trim() !== "";
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string })
      .version;
  }
}

/** The CLI entry: real stdout/stderr, the project this CLI belongs to, exit code set. */
export async function deployCommand(args: readonly string[], moduleDir: string): Promise<void> {
  let root: string;
  try {
    root = projectRoot(moduleDir);
  } catch (err) {
    console.error(`leveler deploy: ${(err as Error).message}`);
    process.exitCode = 1;
    return;
  }
  process.exitCode = await deploy(args, {
    root,
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (line) => console.error(line),
  });
}
