import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeCompileCache } from "./compile-cache.js";

// A stand-in for a function's bundle: some code to compile, its environment written beside it,
// and a timer that would keep it running, as a listening consumer does.
const BUNDLE = `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
export function price(items) { return items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0); }
writeFileSync(join(import.meta.dirname, "env.json"), JSON.stringify(Object.keys(process.env).sort()));
price([{ quantity: 2, unitPrice: 9.5 }]);
setTimeout(() => {}, 60_000);
`;

/** What Node says about the bundle's compiled code when it runs `bundle` under `cacheDir`. */
async function cacheVerdict(bundle: string, cacheDir: string): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", `import(${JSON.stringify(bundle)}).then(() => process.exit(0))`],
    {
      env: {
        PATH: process.env.PATH ?? "",
        NODE_COMPILE_CACHE: cacheDir,
        NODE_DEBUG_NATIVE: "COMPILE_CACHE",
      },
    },
  );
  return /V8 code cache for ESM \S+fn\.js was (\w+)/.exec(stdout + stderr)?.[1] ?? "not read";
}

describe("writeCompileCache", () => {
  let dir: string;
  let bundle: string;
  let cacheDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "leveler-compile-cache-"));
    bundle = join(dir, "fn.js");
    cacheDir = join(dir, ".node-compile-cache");
    writeFileSync(bundle, BUNDLE);
    writeFileSync(join(dir, "package.json"), '{"type":"module"}');
  });
  afterEach(() => {
    delete process.env.AMQP_URL;
  });

  it("leaves compiled code that the bundle's first start reads", async () => {
    await writeCompileCache(bundle, cacheDir);
    expect(await cacheVerdict(bundle, cacheDir)).toBe("accepted");
  });

  it("is what the first start reads: without it, the first start compiles the bundle itself", async () => {
    expect(await cacheVerdict(bundle, cacheDir)).not.toBe("accepted");
  });

  it("runs the bundle with no settings but ports 0, whatever the build's environment holds", async () => {
    process.env.AMQP_URL = "amqp://guest:guest@127.0.0.1:5672";
    await writeCompileCache(bundle, cacheDir);
    expect(JSON.parse(readFileSync(join(dir, "env.json"), "utf8"))).toEqual([
      "METRICS_PORT",
      "PATH",
      "PORT",
    ]);
  });
});
