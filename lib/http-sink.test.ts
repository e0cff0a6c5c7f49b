/**
 * HttpSink against a real HTTP server standing in for eventing-rabbitmq's broker ingress, which
 * answers 202 after the publisher confirm and 500 on a nack, a publish error or no channel
 * (knative-extensions/eventing-rabbitmq cmd/ingress/main.go, `send`, at
 * bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudEvent } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerUnavailableError, PublishRejectedError } from "./errors.js";
import { HttpSink } from "./http-sink.js";

let server: Server;
let url: string;
let answer = 202;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const event = () => new CloudEvent({ type: "t", source: "s", data: { a: 1 } });

async function failure(sink: HttpSink): Promise<unknown> {
  return sink.send([event()]).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("HttpSink maps the broker ingress's answers", () => {
  it("202 is taken", async () => {
    answer = 202;
    await expect(new HttpSink({ url }).send([event()])).resolves.toBeUndefined();
  });

  it("500 (upstream's answer to a nack, a full queue) is unavailable: 503 with Retry-After", async () => {
    answer = 500;
    expect(await failure(new HttpSink({ url }))).toBeInstanceOf(BrokerUnavailableError);
  });

  it("429 from the address stays a refusal", async () => {
    answer = 429;
    expect(await failure(new HttpSink({ url }))).toBeInstanceOf(PublishRejectedError);
  });
});

describe("HttpSink's availability follows the broker", () => {
  it("goes unavailable after consecutive 5xx, tries again after the wait, recovers on success", async () => {
    let clock = 1_000;
    const sink = new HttpSink({ url, failureThreshold: 3, probeAfterMs: 5_000, now: () => clock });
    answer = 500;
    await failure(sink);
    await failure(sink);
    expect(sink.available).toBe(true);
    await failure(sink);
    expect(sink.available).toBe(false);
    clock += 4_999;
    expect(sink.available).toBe(false);
    clock += 1;
    expect(sink.available).toBe(true); // one more try is let through
    await failure(sink);
    expect(sink.available).toBe(false); // still failing: unavailable again
    clock += 5_000;
    answer = 202;
    await sink.send([event()]);
    expect(sink.available).toBe(true);
    answer = 500;
    await failure(sink);
    expect(sink.available).toBe(true); // the count started over at the success
  });

  it("counts connection failures too", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const sink = new HttpSink({ url: `http://127.0.0.1:${port}/`, failureThreshold: 2 });
    expect(await failure(sink)).toBeInstanceOf(BrokerUnavailableError);
    expect(sink.available).toBe(true);
    await failure(sink);
    expect(sink.available).toBe(false);
  });

  it("4xx other than 429 says nothing about the broker's health", async () => {
    answer = 400;
    const sink = new HttpSink({ url, failureThreshold: 1 });
    expect(await failure(sink)).toBeInstanceOf(BrokerUnavailableError);
    expect(sink.available).toBe(true);
  });

  it("is unavailable once closed", async () => {
    const sink = new HttpSink({ url });
    await sink.close();
    expect(sink.available).toBe(false);
  });
});
