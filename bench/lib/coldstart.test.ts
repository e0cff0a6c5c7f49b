import { describe, expect, it } from "vitest";
import type { PlatformStatus } from "../../platform/status/status-document.js";
import { consumersOf } from "./coldstart.js";

const trigger = (filter: Record<string, string>, subscriber: string) =>
  ({ filter, subscriber }) as PlatformStatus["triggers"][number];
const fn = (name: string, url: string) => ({ name, url }) as PlatformStatus["functions"][number];

describe("consumersOf", () => {
  it("pairs each Trigger's type with the function its subscriber URL points at", () => {
    const status = {
      triggers: [
        trigger({ type: "com.example.order.created" }, "http://127.0.0.1:4001/"),
        trigger({ type: "com.example.report.requested" }, "http://127.0.0.1:4002/reports"),
        // No sample data for it, or no type filter: nothing to send a consumer.
        trigger({ type: "com.example.unknown" }, "http://127.0.0.1:4001/"),
        trigger({ source: "/x" }, "http://127.0.0.1:4002/"),
      ],
      functions: [
        fn("ingress", "http://127.0.0.1:4000"),
        fn("order", "http://127.0.0.1:4001"),
        fn("report", "http://127.0.0.1:4002"),
      ],
    } as PlatformStatus;
    expect(consumersOf(status)).toEqual([
      { name: "order", type: "com.example.order.created" },
      { name: "report", type: "com.example.report.requested" },
    ]);
  });
});
