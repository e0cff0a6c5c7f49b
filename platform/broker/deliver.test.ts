import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "./deliver.js";
import { requestFromEvent } from "./dispatch-request.js";
import { KNATIVE_ERROR_BODY_BYTES } from "./error-extensions.js";

const request = requestFromEvent(
  new CloudEvent<unknown>({ id: "e-1", source: "/t", type: "t", data: { n: 1 } }),
);

describe("one delivery over HTTP", () => {
  let server: Server;
  let url: string;
  let answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("without a timeout waits for the answer, however long (eventing-rabbitmq's TIMEOUT=0s)", async () => {
    const arrived = new Promise<ServerResponse>((resolve) => (answer = resolve));
    const result = deliver(url, request, undefined);
    // The request reaches the subscriber before any answer comes back.
    const first = await Promise.race([arrived, result]);
    expect(first).not.toHaveProperty("status");
    await sleep(200);
    (first as ServerResponse).writeHead(202).end();
    expect((await result).status).toBe(202);
  });

  it("with a timeout gives up: no answer, like a network error", async () => {
    const held: ServerResponse[] = [];
    answer = (res) => held.push(res);
    const result = await deliver(url, request, 50);
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/no answer within 50 ms/);
    expect(result.errorBody).toBeUndefined();
    for (const res of held) res.destroy();
  });

  it("keeps the raw bytes of a failed answer, as many as knativeerrordata can hold", async () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.alloc(2000, "x")]);
    answer = (res) => res.writeHead(500).end(body);
    const result = await deliver(url, request, undefined);
    expect(result.status).toBe(500);
    expect(result.errorBody).toEqual(body.subarray(0, KNATIVE_ERROR_BODY_BYTES));
  });
});
