import { describe, expect, it } from "vitest";
import { createEventRegistry } from "../events/registry.js";
import { schemas } from "../events/schemas.js";
import type { Outcome } from "./consumer.js";
import { servedPerTest, type ServedConsumer } from "./consumer-server.js";

const TYPE = "com.example.report.requested";
const registry = createEventRegistry(schemas);
const consumer = servedPerTest();
const deliver = (app: ServedConsumer, id: string, data: unknown) =>
  app.request("/", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-source": "/test",
      "ce-type": TYPE,
    },
    body: JSON.stringify(data),
  });

describe("consumer adapter", () => {
  it("a duplicate delivery gets the same reply without running the work twice", async () => {
    let executions = 0;
    const kinds: string[] = [];
    const app = await consumer({
      type: TYPE,
      source: "/leveler/report",
      handle: (): Promise<Outcome> => {
        executions++;
        return Promise.resolve({ kind: "processed", result: { ok: true } });
      },
      onDelivery: (kind) => kinds.push(kind),
    });
    const a = await deliver(app, "e-1", { reportId: "r", period: "daily" });
    const b = await deliver(app, "e-1", { reportId: "r", period: "daily" });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.headers.get("ce-id")).toBe(b.headers.get("ce-id"));
    expect(a.headers.get("ce-type")).toBe(`${TYPE}.processed`);
    expect(executions).toBe(1);
    expect(kinds).toEqual(["executed", "duplicate"]);
  });

  it("a transient failure is not remembered: the redelivery runs the work again", async () => {
    let executions = 0;
    const app = await consumer({
      type: TYPE,
      source: "/leveler/report",
      handle: (): Promise<Outcome> =>
        Promise.resolve(
          ++executions === 1
            ? { kind: "retry", reason: "busy" }
            : { kind: "processed", result: {} },
        ),
    });
    expect((await deliver(app, "e-2", { reportId: "r", period: "daily" })).status).toBe(503);
    expect((await deliver(app, "e-2", { reportId: "r", period: "daily" })).status).toBe(200);
    expect(executions).toBe(2);
  });

  it("a poison event (data that can never be processed) is refused with 400 before any work", async () => {
    let executions = 0;
    const app = await consumer({
      type: TYPE,
      source: "/leveler/report",
      handle: (): Promise<Outcome> => {
        executions++;
        return Promise.resolve({ kind: "processed", result: {} });
      },
      validate: (data) => registry.validate(TYPE, data),
    });
    const response = await deliver(app, "e-3", { reportId: "r", period: "hourly" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("data.period");
    expect(executions).toBe(0);
  });
});
