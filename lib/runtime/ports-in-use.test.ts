/** A port another process holds is a mistake the user can fix: one line naming the variable. */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionConfig } from "./config.js";
import { startMetrics } from "./metrics.js";
import { serve } from "./serve.js";

describe("a port in use", () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => holder.close(() => r())));

  it("as PORT is refused with one line, not an unhandled 'error' event", async () => {
    await expect(
      serve({
        listener: (_req, res) => res.end(),
        port,
        name: "t",
        limits: { host: "127.0.0.1" },
        log: () => {},
      }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is in use (PORT)`);
  });

  it("without a host (every interface) names the port alone", async () => {
    await expect(
      serve({ listener: (_req, res) => res.end(), port, name: "t", log: () => {} }),
    ).rejects.toThrow(`cannot listen on port ${port}: the port is in use (PORT)`);
  });

  it("as METRICS_PORT is refused with one line, not a silent run without metrics", async () => {
    const metrics = startMetrics({
      service: "t",
      metricsPort: port,
      server: { host: "127.0.0.1" },
    } as FunctionConfig);
    await expect(metrics.listening).rejects.toThrow(
      `cannot listen on 127.0.0.1:${port}: the port is in use (METRICS_PORT)`,
    );
    await metrics.shutdown();
  });
});
