/**
 * One real ingress process with no platform and no broker behind it (AMQP_URL points at a port
 * nothing listens on): for tests of what the ingress does on its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../platform/ports.js";

export interface LoneIngress {
  port: number;
  url: string;
  kill(): void;
}

export async function startLoneIngress(env: Record<string, string> = {}): Promise<LoneIngress> {
  const [port, metricsPort, deadAmqpPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [join(import.meta.dirname, "..", "dist", "functions", "ingress.js")],
    {
      env: {
        ...process.env,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        HOST: "127.0.0.1",
        AMQP_URL: `amqp://guest:guest@127.0.0.1:${deadAmqpPort}`,
        BROKER_EXCHANGE: "b.test.nothing",
        K_SINK: "",
        ...env,
      },
      stdio: "ignore",
    },
  );
  for (const deadline = Date.now() + 10_000; ;) {
    try {
      await fetch(`${url}/health/liveness`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("ingress did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { port, url, kill: () => child.kill("SIGKILL") };
}
