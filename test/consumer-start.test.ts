/**
 * A consumer replica is a cold start: the built bundle, started as the platform starts it, serves
 * its probe and a delivery without loading Node's fetch implementation (undici), which a framework
 * answering through fetch's Request and Response loads at once (~20 ms of every start,
 * functions/consumer-runtime/consumer-http.ts), nor TLS, which the cloudevents SDK's HTTP emitter
 * would load (build.mjs leaves it out), nor fs/promises, which an import of `fs.promises` loaded
 * with the bundle (build.mjs reads that getter on first use). Node lists every built-in module a
 * process has loaded in `process.moduleLoadList`; a preload writes it out as the replica exits.
 *
 * Its metrics start half a second after it listens (lib/runtime/run.ts); the delivery it counted
 * before they had started is on its metrics port all the same, and so is the time it spent on it
 * (the busy time a front out of the path reads for the autoscaler, platform/serving/replica-busy.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitHttp } from "../bench/lib/process.js";
import { freePort } from "../platform/ports.js";
import { busySecondsIn } from "../platform/serving/replica-busy.js";

const ROOT = join(import.meta.dirname, "..");
const UNDICI = "NativeModule internal/deps/undici/undici";
/** What `fs.promises` loads (with readline behind it); build.mjs reads that getter only on use. */
const FS_PROMISES = "NativeModule internal/fs/promises";
const dir = mkdtempSync(join(tmpdir(), "leveler-consumer-start-"));
const preload = join(dir, "module-list.cjs");
writeFileSync(
  preload,
  `process.on("exit", () => require("node:fs").writeFileSync(process.env.MODULE_LIST_FILE, JSON.stringify(process.moduleLoadList)));`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `args` under the preload until `drive` is done, then stops it with SIGTERM (without
 * `drive`, until it exits by itself); the modules it loaded.
 */
async function modulesLoaded(
  args: string[],
  env: Record<string, string>,
  drive?: () => Promise<void>,
): Promise<string[]> {
  const file = join(dir, `modules-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn(process.execPath, ["--require", preload, ...args], {
    env: { PATH: process.env.PATH ?? "", MODULE_LIST_FILE: file, ...env },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  if (drive)
    try {
      await drive();
    } finally {
      child.kill("SIGTERM");
    }
  await exited;
  return JSON.parse(readFileSync(file, "utf8")) as string[];
}

describe("a consumer replica's start", () => {
  it("serves its probe and a delivery without loading undici, TLS or fs/promises", async () => {
    const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
    let status = 0;
    let scraped = "";
    const modules = await modulesLoaded(
      [join(ROOT, "dist", "functions", "order.js")],
      {
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        HOST: "127.0.0.1",
        WORK_MS: "0",
        LEVELER_TELEMETRY_CONFIG: join(dir, "no-such-file"),
      },
      async () => {
        // This process's fetch loads undici here, not in the replica it calls.
        await waitHttp(`http://127.0.0.1:${port}/health/readiness`);
        const answer = await fetch(`http://127.0.0.1:${port}/`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "ce-specversion": "1.0",
            "ce-id": "start-1",
            "ce-source": "/test",
            "ce-type": "com.example.order.created",
          },
          body: JSON.stringify({
            orderId: "o-1",
            currency: "EUR",
            items: [{ sku: "A", quantity: 1, unitPrice: 1 }],
          }),
        });
        await answer.body?.cancel();
        status = answer.status;
        await waitHttp(`http://127.0.0.1:${metricsPort}/metrics`);
        scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      },
    );
    expect(status).toBe(200);
    expect(modules).toContain("NativeModule http");
    expect(modules).not.toContain(UNDICI);
    expect(modules).not.toContain("NativeModule tls");
    expect(modules).not.toContain(FS_PROMISES);
    expect(scraped).toMatch(
      /^leveler_consumer_deliveries_total\{[^}]*delivery="executed"[^}]*\} 1$/m,
    );
    expect(busySecondsIn(scraped)).toBeGreaterThan(0);
  });

  it("the same check sees undici in a process that touches fetch's Request (the control)", async () => {
    const modules = await modulesLoaded(["-e", "globalThis.Request"], {});
    expect(modules).toContain(UNDICI);
  });

  it("the same check sees fs/promises in a process that reads fs.promises (the control)", async () => {
    const modules = await modulesLoaded(["-e", "require('node:fs').promises"], {});
    expect(modules).toContain(FS_PROMISES);
  });
});
