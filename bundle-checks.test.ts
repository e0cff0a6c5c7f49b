import { describe, expect, it } from "vitest";
import { packagesAtStart, packagesBundledTwice, type BundleInput } from "./bundle-checks.js";

describe("packagesBundledTwice", () => {
  it("names a package taken from a nested copy as well as the top-level one", () => {
    expect(
      packagesBundledTwice([
        "node_modules/@opentelemetry/sdk-metrics/build/esm/index.js",
        "node_modules/@opentelemetry/exporter-prometheus/build/src/index.js",
        "node_modules/@opentelemetry/exporter-prometheus/node_modules/@opentelemetry/sdk-metrics/build/src/index.js",
        "node_modules/@opentelemetry/sdk-metrics/build/esm/view/View.js",
      ]),
    ).toEqual([
      {
        pkg: "@opentelemetry/sdk-metrics",
        dirs: [
          "node_modules/@opentelemetry/exporter-prometheus/node_modules/@opentelemetry/sdk-metrics",
          "node_modules/@opentelemetry/sdk-metrics",
        ],
      },
    ]);
  });

  it("accepts one copy of each package, many files each, and our own sources", () => {
    expect(
      packagesBundledTwice([
        "functions/order/main.ts",
        "lib/runtime/run.ts",
        "node_modules/hono/dist/hono.js",
        "node_modules/hono/dist/router.js",
        "node_modules/amqplib/lib/channel.js",
        "node_modules/@hono/node-server/dist/index.mjs",
        "stub:@opentelemetry/exporter-zipkin",
      ]),
    ).toEqual([]);
  });

  it("tells an unscoped package apart from a scope of the same name", () => {
    expect(
      packagesBundledTwice(["node_modules/hono/dist/a.js", "node_modules/@hono/node-server/a.js"]),
    ).toEqual([]);
  });
});

describe("packagesAtStart", () => {
  const imports = (...list: [path: string, kind: string][]): BundleInput => ({
    imports: list.map(([path, kind]) => ({ path, kind })),
  });
  const SDK = "node_modules/@opentelemetry/sdk-trace/build/src/index.js";
  const inputs: Record<string, BundleInput> = {
    "functions/order/main.ts": imports(
      ["lib/runtime/telemetry.ts", "import-statement"],
      ["node_modules/cloudevents/dist/index.js", "import-statement"],
    ),
    "lib/runtime/telemetry.ts": imports(
      ["node_modules/@opentelemetry/api/build/esm/index.js", "import-statement"],
      ["lib/runtime/tracing-sdk.ts", "dynamic-import"],
    ),
    "lib/runtime/tracing-sdk.ts": imports([SDK, "import-statement"]),
    "node_modules/cloudevents/dist/index.js": imports([
      "node_modules/cloudevents/node_modules/uuid/dist/index.js",
      "require-call",
    ]),
    [SDK]: imports(["node_modules/@opentelemetry/resources/build/src/index.js", "require-call"]),
  };

  it("follows imports and require() calls from the entry, not import(): what loads lazily stays out", () => {
    expect([...packagesAtStart(inputs, "functions/order/main.ts")].sort()).toEqual([
      "@opentelemetry/api",
      "cloudevents",
      "uuid",
    ]);
  });

  it("counts a package reached lazily and statically as loaded at start, with what it requires", () => {
    const withSampler = {
      ...inputs,
      "lib/runtime/telemetry.ts": imports(
        ["lib/runtime/tracing-sdk.ts", "dynamic-import"],
        ["lib/runtime/live-sampler.ts", "import-statement"],
      ),
      "lib/runtime/live-sampler.ts": imports([SDK, "import-statement"]),
    };
    expect([...packagesAtStart(withSampler, "functions/order/main.ts")].sort()).toEqual([
      "@opentelemetry/resources",
      "@opentelemetry/sdk-trace",
      "cloudevents",
      "uuid",
    ]);
  });
});
