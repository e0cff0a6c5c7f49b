import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { runInThisContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createEventRegistry, FULL_CHECK_BYTES, MAX_LISTED } from "./registry.js";
import { schemas } from "./schemas.js";
import {
  compileValidators,
  standaloneValidatorsSource,
  type CompileValidators,
} from "./validators.js";

/** What build.mjs puts in the bundles, loaded as esbuild would run it. */
function buildTimeValidators(source: string): CompileValidators {
  const module = { exports: {} as { compileValidators: CompileValidators } };
  const body = runInThisContext(`(function (module, exports, require) {\n${source}\n})`) as (
    ...args: unknown[]
  ) => void;
  body(module, module.exports, createRequire(import.meta.url));
  return module.exports.compileValidators;
}

const compilers: [string, CompileValidators][] = [
  ["compiled at start", compileValidators],
  ["compiled at build time", buildTimeValidators(standaloneValidatorsSource(schemas))],
];

describe("validators compiled at build time", () => {
  it("refuse a schema other than the one they were built from", () => {
    const built = buildTimeValidators(standaloneValidatorsSource(schemas));
    const changed = schemas.map((s) =>
      s.$id === "com.example.order.created" ? { ...s, x: 1 } : s,
    );
    expect(() => built(changed)).toThrow(/com\.example\.order\.created .*rebuild/);
  });
});

describe.each(compilers)("event registry, validators %s", (_, compile) => {
  const registry = createEventRegistry(schemas, compile);

  it("lists every schema file in ./schemas (adding a type is one file and one line)", () => {
    const files = readdirSync(join(import.meta.dirname, "schemas"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5));
    expect([...registry.types].sort()).toEqual(files.sort());
  });

  it("names every field at fault, in a readable path", () => {
    const errors = registry.validate("com.example.order.created", {
      currency: "eu",
      items: [{ sku: "", quantity: 1.5, unitPrice: -1 }],
    });
    expect(errors.map((e) => e.field).sort()).toEqual(
      [
        "data.currency",
        "data.items[0].quantity",
        "data.items[0].sku",
        "data.items[0].unitPrice",
        "data.orderId",
      ].sort(),
    );
  });

  it("allows unknown extra fields", () => {
    expect(
      registry.validate("com.example.report.requested", {
        reportId: "r",
        period: "weekly",
        extra: true,
      }),
    ).toEqual([]);
  });

  it("payment amount must be greater than zero", () => {
    const errors = registry.validate("com.example.payment.requested", {
      paymentId: "p",
      orderId: "o",
      amount: 0,
      currency: "EUR",
    });
    expect(errors.map((e) => e.field)).toEqual(["data.amount"]);
  });

  it("bounds the work and the answer: 60,000 empty items cost one error, not 180,000", () => {
    const hostile = {
      orderId: "o",
      currency: "EUR",
      items: Array.from({ length: 60_000 }, () => ({})),
    };
    const check = registry.check("com.example.order.created", hostile);
    expect(check.errors).toEqual([
      { field: "data.items", message: "must NOT have more than 1000 items" },
    ]);
    // Too large to look past the first error: the answer says there may be more.
    expect(check.more).toBeUndefined();
  });

  it("lists at most MAX_LISTED errors of small data and counts the rest", () => {
    const items = Array.from({ length: 20 }, () => ({}));
    const check = registry.check("com.example.order.created", {
      orderId: "o",
      currency: "EUR",
      items,
    });
    expect(check.errors).toHaveLength(MAX_LISTED);
    expect(check.more).toBe(20 * 3 - MAX_LISTED);
  });

  it("stops at the first error of data too large to check in full", () => {
    const items = Array.from({ length: 999 }, (_, i) => ({
      sku: "x".repeat(20),
      quantity: 0,
      unitPrice: i,
    }));
    expect(Buffer.byteLength(JSON.stringify(items))).toBeGreaterThan(FULL_CHECK_BYTES);
    const check = registry.check("com.example.order.created", {
      orderId: "o",
      currency: "EUR",
      items,
    });
    expect(check).toEqual({
      errors: [{ field: "data.items[0].quantity", message: "must be >= 1" }],
      more: undefined,
    });
  });
});
