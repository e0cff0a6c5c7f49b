#!/usr/bin/env node
// The CLI is bundled by build.mjs; build it on first use so `npx leveler` works on a fresh clone.
// It runs on the pinned Node 24 (the `node` devDependency): started by an older Node (the
// system's, e.g. `node bin/leveler.mjs`), it runs itself again on the pinned one. That is also
// why package.json's `engines` asks only for a Node that npm runs on: `npx` checks the project's
// engines against the Node npm itself runs on and would warn (EBADENGINE) at every call.
import { existsSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PINNED_MAJOR = 24;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

if (Number(process.versions.node.split(".")[0]) < PINNED_MAJOR) {
  const pinned = join(root, "node_modules", ".bin", "node");
  if (!existsSync(pinned)) {
    console.error(
      `leveler: needs Node ${PINNED_MAJOR} (this is ${process.version}); run \`npm ci\`, which installs it`,
    );
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  // The terminal's Ctrl-C reaches both processes; a signal sent to this one alone is passed on.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"])
    process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  // Dependencies of the Kubernetes client use Node's deprecated punycode; the warning helps no user.
  process.noDeprecation = true;
  const cli = join(root, "dist", "platform", "cli.js");
  if (!existsSync(cli))
    execFileSync(process.execPath, [join(root, "build.mjs")], { cwd: root, stdio: "inherit" });
  await import(cli);
}
