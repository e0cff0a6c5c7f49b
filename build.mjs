// One self-contained esbuild bundle per function (what goes into its image), plus the local
// platform, the dispatcher, the CLI and the benchmarks. Sourcemaps everywhere; functions minified
// because their size is their cold start.
import { build } from "esbuild";
import { readdirSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const started = performance.now();
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const functions = readdirSync("functions", { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join("functions", d.name, "main.ts")))
  .map((d) => d.name);

// Bundled CommonJS dependencies (amqplib) call require(); give ESM output one.
const banner = { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" };
const common = {
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  sourcemap: true,
  banner,
  logLevel: "warning",
  define: { __LEVELER_VERSION__: JSON.stringify(pkg.version) },
  legalComments: "none",
};

rmSync("dist", { recursive: true, force: true });
const entries = (dir, names, suffix = ".ts") => Object.fromEntries(names.filter((n) => existsSync(join(dir, n + suffix))).map((n) => [n, join(dir, n + suffix)]));
const benches = existsSync("bench") ? readdirSync("bench").filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("_")).map((f) => f.slice(0, -3)) : [];

await Promise.all([
  ...functions.map((name) =>
    build({ ...common, entryPoints: { [name]: join("functions", name, "main.ts") }, outdir: "dist/functions", minify: true, metafile: false }),
  ),
  build({ ...common, entryPoints: entries("platform", ["main", "dispatcher-main", "cli"]), outdir: "dist/platform" }),
  benches.length ? build({ ...common, entryPoints: entries("bench", benches), outdir: "dist/bench", external: ["autocannon"] }) : Promise.resolve(),
]);

console.log(`built ${functions.length} functions (${functions.join(", ")}) and the platform in ${Math.round(performance.now() - started)} ms`);
