import { describe, expect, it } from "vitest";
import { packagesBundledTwice } from "./bundle-checks.js";

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
