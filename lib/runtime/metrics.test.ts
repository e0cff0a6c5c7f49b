import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionConfig } from "./config.js";
import { startMetrics } from "./metrics.js";

describe("the metrics port", () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => holder.close(() => r())));

  it("held by another process is one line naming METRICS_PORT, not a silent run without metrics", async () => {
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
