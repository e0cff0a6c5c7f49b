import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { fromHandler } from "./knative-handler.js";

const event = new CloudEvent({ type: "com.example.x.y", source: "/t", data: { xId: "1" } });

describe("a Knative Functions handle(context, event) on the consumer runtime", () => {
  it("maps a returned CloudEvent, data, nothing or a scalar to the reply's data", async () => {
    const reply = new CloudEvent({ type: "ignored", source: "/fn", data: { ok: true } });
    expect(await fromHandler("x", () => reply)(event)).toEqual({ ok: true });
    expect(await fromHandler("x", (_c, e) => Promise.resolve({ got: e.data }))(event)).toEqual({
      got: { xId: "1" },
    });
    expect(await fromHandler("x", () => undefined)(event)).toEqual({});
    expect(
      await fromHandler("x", () => new CloudEvent({ type: "t", source: "/s", data: "OK" }))(event),
    ).toEqual({
      result: "OK",
    });
  });

  it("gives the handler the event in context.cloudevent and a line logger", async () => {
    const lines: string[] = [];
    const process = fromHandler(
      "x",
      (context) => {
        context.log.warn(`id ${context.cloudevent.id}`);
        return {};
      },
      (line) => lines.push(line),
    );
    await process(event);
    expect(lines).toEqual([`[x] warn: id ${event.id}`]);
  });

  it("lets a throw through: the runtime answers 503 and the event is retried", async () => {
    await expect(
      fromHandler("x", () => {
        throw new Error("gateway down");
      })(event),
    ).rejects.toThrow("gateway down");
  });
});
