#!/usr/bin/env node
// The CLI is bundled by build.mjs; build it on first use so `npx leveler` works on a fresh clone.
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Dependencies of the Kubernetes client use Node's deprecated punycode; the warning helps no user.
process.noDeprecation = true;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "platform", "cli.js");
if (!existsSync(cli))
  execFileSync(process.execPath, [join(root, "build.mjs")], { cwd: root, stdio: "inherit" });
await import(cli);
