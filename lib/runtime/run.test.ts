/** run.ts starts metrics once a function has answered its first request (deferred-meter.ts says why). */
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { afterFirstAnswer } from "./run.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe("afterFirstAnswer", () => {
  it("calls back once, after the first answer is finished and not before", async () => {
    const held: ServerResponse[] = [];
    let calls = 0;
    server = createServer(
      afterFirstAnswer(
        (_req, res) => {
          held.push(res);
        },
        () => calls++,
      ),
    );
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const first = fetch(url, { method: "POST", body: "a" });
    const second = fetch(url, { method: "POST", body: "b" });
    await expect.poll(() => held.length).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(0); // both answers are still being made

    held[1]!.end("b"); // the second request's answer: not the first request's
    await (await second).text();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(0);

    held[0]!.end("a");
    await (await first).text();
    await expect.poll(() => calls).toBe(1);
    const third = fetch(url, { method: "POST", body: "c" });
    await expect.poll(() => held.length).toBe(3);
    held[2]!.end("c");
    await (await third).text();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
  });
});
