import { createServer, type Server } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "./serve.js";

describe("serve", () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => holder.close(() => r())));

  it("refuses a port another process holds with one line naming it, not an unhandled error", async () => {
    await expect(
      serve({ app: new Hono(), port, name: "t", limits: { host: "127.0.0.1" }, log: () => {} }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is in use (PORT)`);
  });
});
