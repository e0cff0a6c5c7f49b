/**
 * The image the Dockerfile builds (no docker here: these read the file). Every base is pinned by
 * digest, and the final image carries no package manager in any of its layers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTION_NODE_FLAGS } from "../serving/replica.js";

const DOCKERFILE = readFileSync(join(import.meta.dirname, "..", "..", "Dockerfile"), "utf8");

interface Stage {
  from: string;
  name: string | undefined;
  instructions: string[];
}

/** Instructions with continuation lines joined and comments dropped, cut into stages. */
function parse(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      const image = from[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? "");
      stages.push({ from: image, name: from[2], instructions: [] });
      continue;
    }
    const arg = /^ARG\s+(\w+)=(\S+)$/i.exec(line);
    if (arg && stages.length === 0) args.set(arg[1]!, arg[2]!);
    stages.at(-1)?.instructions.push(line);
  }
  return { args, stages };
}

describe("Dockerfile", () => {
  const { stages } = parse(DOCKERFILE);
  const names = new Set(stages.map((s) => s.name).filter(Boolean));

  it("pins every base image by digest", () => {
    expect(stages.length).toBeGreaterThan(1);
    for (const stage of stages) {
      if (stage.from === "scratch" || names.has(stage.from)) continue;
      expect(stage.from, `FROM ${stage.from}`).toMatch(/^[^\s@]+@sha256:[0-9a-f]{64}$/);
    }
  });

  it("leaves npm, npx, corepack and yarn out of the final image", () => {
    const final = stages.at(-1)!;
    // On scratch, the final image is only what it copies: no lower layer keeps what was removed.
    expect(final.from).toBe("scratch");
    const copies = final.instructions
      .map((i) => /^COPY\s+--from=(\S+)\s+\/\s+\/$/.exec(i)?.[1])
      .filter((x): x is string => x !== undefined);
    expect(copies).toHaveLength(1);
    const root = stages.find((s) => s.name === copies[0])!;
    const removed = root.instructions.filter((i) => /^RUN\s+rm\s+-rf\s/.test(i)).join(" ");
    for (const path of [
      "/usr/local/lib/node_modules",
      "/usr/local/bin/npm",
      "/usr/local/bin/npx",
      "/usr/local/bin/corepack",
      "/usr/local/bin/yarn",
      "/usr/local/bin/yarnpkg",
      "/opt/yarn-*",
    ])
      expect(removed, path).toContain(path);
    // The image still runs Node as a non-root user.
    expect(final.instructions).toContain("USER 1000:1000");
    expect(final.instructions.some((i) => i.startsWith("ENV PATH="))).toBe(true);
  });

  it("starts Node with the flags the local platform starts a replica with", () => {
    const entrypoints = stages.at(-1)!.instructions.filter((i) => /^ENTRYPOINT\s/.test(i));
    expect(entrypoints).toHaveLength(1);
    const argv = JSON.parse(entrypoints[0]!.replace(/^ENTRYPOINT\s+/, "")) as string[];
    expect(argv).toEqual(["node", ...FUNCTION_NODE_FLAGS, "/app/function.js"]);
  });
});
