/**
 * The HTTP limits every function sets, over real sockets against a real ingress process: a header
 * flood gets 431, a body announced over the limit gets 413 before it is read, a body that trickles
 * in too slowly is cut off with 408, and the process lives on.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoneIngress, type LoneIngress } from "./lone-ingress.js";

function rawRequest(
  port: number,
  head: string,
  trickle?: { chunks: string[]; everyMs: number },
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
    socket.write(head);
    if (trickle) {
      let i = 0;
      const timer = setInterval(() => {
        if (i >= trickle.chunks.length || socket.destroyed) return clearInterval(timer);
        socket.write(trickle.chunks[i++]!);
      }, trickle.everyMs);
    }
    setTimeout(() => socket.destroy(), 8000);
  });
}

/** Sends `head` and keeps the socket open; resolves with the status line and headers of the answer. */
function firstAnswer(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d: Buffer) => {
      answer += d.toString();
      if (answer.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.write(head);
  });
}

describe("HTTP limits (real process, real sockets)", () => {
  let ingress: LoneIngress;
  let port: number;

  beforeAll(async () => {
    ingress = await startLoneIngress({ REQUEST_TIMEOUT_MS: "1000", HEADERS_TIMEOUT_MS: "1000" });
    port = ingress.port;
  });

  afterAll(() => {
    ingress?.kill();
  });

  it("a header flood is refused with 431", async () => {
    const flood = Array.from(
      { length: 400 },
      (_, i) => `x-flood-${i}: ${"a".repeat(100)}\r\n`,
    ).join("");
    const answer = await rawRequest(
      port,
      `POST /events HTTP/1.1\r\nHost: x\r\n${flood}Content-Length: 2\r\n\r\n{}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
  });

  it("a body announced as 100 MB is refused with 413 at once, from its Content-Length alone", async () => {
    // Only a few bytes of the body are ever sent, and the socket stays open: the answer can come
    // only from the header. Were the body read first, the request would wait for bytes that never
    // come and end in 408 (REQUEST_TIMEOUT_MS is 1 s here).
    const answer = await firstAnswer(
      port,
      `POST /events/com.example.report.requested HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n{"reportId":`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
  });

  it("a body that trickles in past the request timeout is cut off with 408", async () => {
    const started = Date.now();
    const answer = await rawRequest(
      port,
      `POST /events/com.example.report.requested HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
      { chunks: Array.from({ length: 50 }, () => " "), everyMs: 100 },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(7000);
  });

  it("is still alive after both", async () => {
    expect((await fetch(`http://127.0.0.1:${port}/health/liveness`)).status).toBe(200);
  });
});
