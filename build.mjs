// One self-contained esbuild bundle per function (what goes into its image), plus the local
// platform, the dispatcher, the CLI and the benchmarks. Sourcemaps everywhere; functions minified
// because their size is their cold start.
import { build } from "esbuild";
import { readdirSync, existsSync, readFileSync, rmSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join, resolve } from "node:path";
import { schemas } from "./functions/events/schemas.ts";
import { standaloneValidatorsSource } from "./functions/events/validators.ts";
import { packagesAtStart, packagesBundledTwice } from "./bundle-checks.ts";
import { writeCompileCache } from "./compile-cache.ts";

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
const throwingStub = (path) => ({
  contents: `module.exports = new Proxy({}, { get: (_, name) => name === "__esModule" ? undefined : function () { throw new Error(${JSON.stringify(`leveler's bundle leaves out ${path}; see build.mjs`)}); } });`,
  loader: "js",
});
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
    b.onLoad({ filter: /.*/, namespace: "stub" }, (args) => throwingStub(args.path));
    b.onLoad({ filter: /.*/, namespace: "stub-instrumentation" }, () => ({
      contents: "exports.registerInstrumentations = () => () => undefined;",
      loader: "js",
    }));
  },
};

// The cloudevents SDK's index loads its HTTP emitter transport (`httpTransport`, built on node:http
// and node:https, so TLS) for whoever imports anything from it. Functions never emit through it
// (lib/http-sink.ts makes its own requests), and leaving it out takes ~4 ms off a replica's start
// (spawn to listening, median of 21 alternating starts). `httpTransport` throws if ever called.
const cloudeventsWithoutHttpTransport = {
  name: "cloudevents-without-http-transport",
  setup(b) {
    b.onResolve({ filter: /^\.\/transport\/http$/ }, (args) =>
      args.importer.endsWith(join("node_modules", "cloudevents", "dist", "index.js"))
        ? { path: "cloudevents/dist/transport/http", namespace: "cloudevents-stub" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "cloudevents-stub" }, (args) => throwingStub(args.path));
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

// Node's built-in modules reach a function bundle through require(), not `import`. Importing a
// built-in as an ES module makes Node read every export to build the module's namespace, getters
// included, and node:http's getters (WebSocket, CloseEvent, MessageEvent) load the whole of
// undici: in a fresh Node 24 process, `import("node:http")` cost 68 ms of CPU where
// `require("node:http")` cost 7 (node:crypto 10.5 against 0.1, node:fs 6.1 against 0.1). In a
// replica most of that is paid anyway (@hono/node-server reads the global Request, which loads
// undici), so what this saved, measured, is memory: 70.9 → 68.9 MB resident for an idle order
// replica, its start CPU unchanged within the noise. Each built-in becomes a module that
// require()s it and exports its plain properties by name (read here, from this Node); its
// getters are left out, so an import of one fails the build rather than costing a start, except
// those below, which bundled code imports. They are read when first used, not when the bundle
// loads: a module's exports are all evaluated at its start, and `fs.promises` loads fs/promises
// with readline and the REPL's history behind it (3.4 ms of a fresh Node 24 process, measured),
// for the OpenTelemetry host detector's machine-id reader, which no function runs.
const nodeRequire = createRequire(import.meta.url);
const gettersImported = { fs: ["promises"] };
/** An object export that reads the built-in's getter on first use (only objects are imported so). */
const lazyGetter = (name) =>
  `export const ${name} = new Proxy({}, { get: (_, key) => m.${name}[key] });`;
const builtinFilter = new RegExp(
  `^(node:)?(${builtinModules
    .filter((m) => m !== "module")
    .map((m) => m.replace(/[/.-]/g, "\\$&"))
    .join("|")})$`,
);
const builtinsThroughRequire = {
  name: "builtins-through-require",
  setup(b) {
    // Only `import`s: a bundled CommonJS require() of a built-in already is one (the banner's).
    b.onResolve({ filter: builtinFilter }, (args) =>
      args.kind === "import-statement"
        ? { path: args.path.replace(/^node:/, ""), namespace: "builtin-require" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "builtin-require" }, (args) => {
      const exports = nodeRequire(`node:${args.path}`);
      const names = Object.getOwnPropertyNames(exports).filter(
        (n) =>
          /^[A-Za-z_$][\w$]*$/.test(n) &&
          n !== "default" &&
          "value" in Object.getOwnPropertyDescriptor(exports, n),
      );
      const getters = gettersImported[args.path] ?? [];
      return {
        contents: [
          `import { createRequire } from "node:module";`,
          `const m = createRequire(import.meta.url)(${JSON.stringify(`node:${args.path}`)});`,
          `export default m;`,
          names.length ? `export const { ${names.join(", ")} } = m;` : "",
          ...getters.map(lazyGetter),
        ].join("\n"),
        loader: "js",
      };
    });
  },
};

// ESM builds first for functions: the OpenTelemetry packages ship both, and only ES modules can
// be tree-shaken (their CommonJS builds put whole packages, semantic conventions included, into
// every bundle: ~330 KB more).
const functionMainFields = ["module", "main"];

// Each function's compiled code, as its image carries it (compile-cache.ts says why).
const COMPILE_CACHE = resolve("dist", ".node-compile-cache");

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

// One copy of each package per bundle (bundle-checks.ts says why): a function's, a dispatcher's.
const checkOnePerPackage = (result) => {
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith(".js")) continue;
    const twice = packagesBundledTwice(Object.keys(output.inputs));
    if (!twice.length) continue;
    const which = twice.map((t) => `${t.pkg} from ${t.dirs.join(" and ")}`).join("; ");
    console.error(
      `build: ${file} takes ${which}; give package.json one version of each (overrides)`,
    );
    process.exit(1);
  }
  return result;
};
// A function's start loads no OpenTelemetry SDK, only the API: they come with import() once
// needed (bundle-checks.ts says why and what it cost).
const checkNoSdkAtStart = (entry) => (result) => {
  const sdks = [...packagesAtStart(result.metafile.inputs, entry)].filter(
    (pkg) => pkg.startsWith("@opentelemetry/") && pkg !== "@opentelemetry/api",
  );
  if (!sdks.length) return result;
  console.error(
    `build: ${entry} loads ${sdks.join(", ")} as it starts; load SDKs with import() where they are needed`,
  );
  process.exit(1);
};
await Promise.all([
  ...functions.map((name) =>
    build({
      ...common,
      entryPoints: { [name]: join("functions", name, "main.ts") },
      outdir: "dist/functions",
      minify: true,
      metafile: true,
      plugins: [
        stubUnusedTelemetry,
        cloudeventsWithoutHttpTransport,
        validatorsAtBuildTime,
        builtinsThroughRequire,
      ],
      mainFields: functionMainFields,
    })
      .then(checkOnePerPackage)
      .then(checkNoSdkAtStart(join("functions", name, "main.ts")))
      .then(() => writeCompileCache(resolve("dist", "functions", `${name}.js`), COMPILE_CACHE)),
  ),
  // The Kubernetes client (only `leveler sampling --cluster`) stays in node_modules: megabytes.
  build({
    ...common,
    entryPoints: entries("platform", ["main", "dispatcher-main", "cli"]),
    outdir: "dist/platform",
    external: ["@kubernetes/client-node"],
    metafile: true,
  }).then(checkOnePerPackage),
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

const cached = existsSync(COMPILE_CACHE)
  ? readdirSync(COMPILE_CACHE).flatMap((d) => readdirSync(join(COMPILE_CACHE, d))).length
  : 0;
if (cached < functions.length)
  console.warn(
    `build: compiled code cached for ${cached} of ${functions.length} functions; the others compile at their first start`,
  );

console.log(
  `built ${functions.length} functions (${functions.join(", ")}), the platform and its dashboard in ${Math.round(performance.now() - started)} ms`,
);
