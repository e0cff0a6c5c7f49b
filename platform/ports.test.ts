import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ephemeralRange, freePort } from "./ports.js";

describe("freePort", () => {
  it("picks a port below the ephemeral range, which outgoing connections never take", async () => {
    const [low] = ephemeralRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeLessThan(low);
      expect(port).toBeGreaterThanOrEqual(10_000);
    }
  });

  it("gives a port the caller can bind", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    server.close();
  });

  it("falls back to the kernel's choice when the range leaves no room below it", async () => {
    const port = await freePort([10_200, 60_999]);
    expect(port).toBeGreaterThanOrEqual(ephemeralRange()[0]);
  });

  it("reads the range from /proc, or the IANA range where there is none", () => {
    expect(ephemeralRange(() => "32768\t60999\n")).toEqual([32768, 60999]);
    expect(
      ephemeralRange(() => {
        throw new Error("ENOENT");
      }),
    ).toEqual([49152, 65535]);
    expect(ephemeralRange(() => "garbage")).toEqual([49152, 65535]);
  });
});
