import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { bodyLimit } from "./body-limit.js";

function app() {
  const read: string[] = [];
  const hono = new Hono();
  hono.post(
    "/",
    bodyLimit({ maxSize: 10, onError: (c) => c.text("too large", 413) }),
    async (c) => {
      read.push(await c.req.text());
      return c.text("ok");
    },
  );
  return { hono, read };
}

const chunked = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of text.match(/.{1,4}/g) ?? []) controller.enqueue(Buffer.from(part));
      controller.close();
    },
  });

describe("bodyLimit", () => {
  it("decides a declared length from the header: over the limit is refused unread", async () => {
    const { hono, read } = app();
    const over = await hono.request("/", {
      method: "POST",
      headers: { "content-length": "11" },
      body: "x".repeat(11),
    });
    expect(over.status).toBe(413);
    const within = await hono.request("/", {
      method: "POST",
      headers: { "content-length": "10" },
      body: "y".repeat(10),
    });
    expect(within.status).toBe(200);
    expect(read).toEqual(["y".repeat(10)]);
  });

  it("counts a chunked body as it comes", async () => {
    const { hono, read } = app();
    const init = (text: string): RequestInit => ({
      method: "POST",
      body: chunked(text),
      duplex: "half",
    });
    expect((await hono.request("/", init("z".repeat(11)))).status).toBe(413);
    expect((await hono.request("/", init("w".repeat(9)))).status).toBe(200);
    expect(read).toEqual(["w".repeat(9)]);
  });
});
