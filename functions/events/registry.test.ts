import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEventRegistry } from "./registry.js";
import { schemas } from "./schemas.js";

describe("event registry", () => {
  const registry = createEventRegistry(schemas);

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
});
