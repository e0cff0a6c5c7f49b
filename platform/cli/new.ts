/** `leveler new <name> --type <type> [--shape cpu|io] [--dir <project>]`: scaffold.ts, printed. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { projectRoot } from "../deploy/render.js";
import { dryRun, idField, planScaffold, ScaffoldError, writePlan } from "./scaffold.js";

export const NEW_USAGE = `  new <name> --type <cloudevent type> [--shape cpu|io] [--dir <project>]
                            scaffold a consumer: schema, function, unit test, Service, Trigger`;

/** The exit code; one line on stderr when nothing was written. */
export function newCommand(args: string[]): number {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        type: { type: "string" },
        shape: { type: "string", default: "io" },
        dir: { type: "string" },
      },
    }));
  } catch (err) {
    console.error(`leveler new: ${(err as Error).message}`);
    return 2;
  }
  const [name, ...extra] = positionals;
  if (!name || extra.length || values.type === undefined) {
    console.error(
      "leveler new: usage: leveler new <name> --type <cloudevent type> [--shape cpu|io]",
    );
    return 2;
  }
  if (values.shape !== "cpu" && values.shape !== "io") {
    console.error(`leveler new: --shape must be cpu or io, not "${values.shape}"`);
    return 2;
  }
  const request = { name, type: values.type, shape: values.shape } as const;
  try {
    const root = values.dir ? resolve(values.dir) : projectRoot(process.cwd());
    const plan = planScaffold(root, request);
    const problems = dryRun(root, plan, request);
    if (problems.length) throw new ScaffoldError(`the manifests would not pass: ${problems[0]}`);
    writePlan(root, plan);
    const prettier = join(root, "node_modules", ".bin", "prettier");
    if (existsSync(prettier))
      execFileSync(prettier, ["--log-level", "warn", "--write", ...plan.map((f) => f.path)], {
        cwd: root,
        stdio: "inherit",
      });
    for (const file of plan) console.log(`${file.edit ? "edited " : "created"} ${file.path}`);
    const example = JSON.stringify({ [idField(name)]: `${name}-1` });
    console.log(`\nnext: npm start, then npx leveler send ${request.type} '${example}' --wait`);
    return 0;
  } catch (err) {
    console.error(`leveler new: ${(err as Error).message}`);
    return 1;
  }
}
