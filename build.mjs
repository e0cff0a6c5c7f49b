// One self-contained esbuild bundle per function (what goes into its image), plus the local
// platform, the dispatcher, the CLI and the benchmarks. Sourcemaps everywhere; functions minified
// because their size is their cold start.
import { build } from "esbuild";
import { readdirSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { schemas } from "./functions/events/schemas.ts";
import { standaloneValidatorsSource } from "./functions/events/validators.ts";

const started = performance.now();
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const functions = readdirSync("functions", { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join("functions", d.name, "main.ts")))
  .map((d) => d.name);

// Bundled CommonJS dependencies (amqplib) call require(); give ESM output one.
const banner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};
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

// The OpenTelemetry packages require() exporters, propagators and the declarative-config parser
// they could pick from the environment (grpc, protobuf, zipkin, jaeger, b3, ...): @opentelemetry/
// sdk-node would bring (1.4 MB minified); lib/runtime/tracing-sdk.ts configures none of them, and these stubs
// keep any such path out of the bundles. None of them can run with leveler's configuration; a
// stub throws if one ever does (say, a new version reaching one of them), rather than failing
// silently.
const unusedByFunctions = [
  "@opentelemetry/configuration",
  "@opentelemetry/exporter-trace-otlp-grpc",
  "@opentelemetry/exporter-trace-otlp-proto",
  "@opentelemetry/exporter-metrics-otlp-grpc",
  "@opentelemetry/exporter-metrics-otlp-http",
  "@opentelemetry/exporter-metrics-otlp-proto",
  "@opentelemetry/exporter-logs-otlp-grpc",
  "@opentelemetry/exporter-logs-otlp-http",
  "@opentelemetry/exporter-logs-otlp-proto",
  "@opentelemetry/otlp-grpc-exporter-base",
  "@opentelemetry/exporter-zipkin",
  "@opentelemetry/propagator-b3",
  "@opentelemetry/propagator-jaeger",
];
const stubUnusedTelemetry = {
  name: "stub-unused-telemetry",
  setup(b) {
    const filter = new RegExp(
      `^(${unusedByFunctions.map((n) => n.replace(/[/.-]/g, "\\$&")).join("|")})$`,
    );
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "stub" }));
    // Auto-instrumentation is not used (instrumentations: []); its module hooks would load at start.
    b.onResolve({ filter: /^@opentelemetry\/instrumentation$/ }, (args) => ({
      path: args.path,
      namespace: "stub-instrumentation",
    }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, name) => name === "__esModule" ? undefined : function () { throw new Error(${JSON.stringify(`leveler's bundle leaves out ${args.path}; see build.mjs`)}); } });`,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "stub-instrumentation" }, () => ({
      contents: "exports.registerInstrumentations = () => () => undefined;",
      loader: "js",
    }));
  },
};

// The event schemas' validators, generated now rather than compiled by Ajv at every cold start
// (functions/events/validators.ts says why): the registry's `./validators.js` becomes their code.
const validatorsSource = standaloneValidatorsSource(schemas);
const validatorsAtBuildTime = {
  name: "validators-at-build-time",
  setup(b) {
    b.onResolve({ filter: /^\.\/validators\.js$/ }, (args) =>
      args.importer.endsWith(join("functions", "events", "registry.ts"))
        ? { path: "validators", namespace: "validators-at-build-time" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "validators-at-build-time" }, () => ({
      contents: validatorsSource,
      loader: "js",
      resolveDir: resolve("."),
    }));
  },
};

// ESM builds first for functions: the OpenTelemetry packages ship both, and only ES modules can
// be tree-shaken (their CommonJS builds put whole packages, semantic conventions included, into
// every bundle: ~330 KB more).
const functionMainFields = ["module", "main"];

rmSync("dist", { recursive: true, force: true });
const entries = (dir, names, suffix = ".ts") =>
  Object.fromEntries(
    names.filter((n) => existsSync(join(dir, n + suffix))).map((n) => [n, join(dir, n + suffix)]),
  );
const benches = existsSync("bench")
  ? readdirSync("bench")
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("_"))
      .map((f) => f.slice(0, -3))
  : [];

await Promise.all([
  ...functions.map((name) =>
    build({
      ...common,
      entryPoints: { [name]: join("functions", name, "main.ts") },
      outdir: "dist/functions",
      minify: true,
      metafile: false,
      plugins: [stubUnusedTelemetry, validatorsAtBuildTime],
      mainFields: functionMainFields,
    }),
  ),
  // The Kubernetes client (only `leveler sampling --cluster`) stays in node_modules: megabytes.
  build({
    ...common,
    entryPoints: entries("platform", ["main", "dispatcher-main", "cli"]),
    outdir: "dist/platform",
    external: ["@kubernetes/client-node"],
  }),
  // The dashboard's page (platform/dashboard/web) with uPlot and their CSS: one browser bundle,
  // served by the status server from dist/dashboard; nothing is fetched from elsewhere at run time.
  build({
    entryPoints: { app: "platform/dashboard/web/app.ts" },
    outdir: "dist/dashboard",
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: true,
    logLevel: "warning",
    legalComments: "none",
    tsconfig: "platform/dashboard/web/tsconfig.json",
  }),
  benches.length
    ? build({
        ...common,
        entryPoints: entries("bench", benches),
        outdir: "dist/bench",
        external: ["autocannon", "vega", "vega-lite", "cli-progress"],
      })
    : Promise.resolve(),
]);

console.log(
  `built ${functions.length} functions (${functions.join(", ")}), the platform and its dashboard in ${Math.round(performance.now() - started)} ms`,
);
