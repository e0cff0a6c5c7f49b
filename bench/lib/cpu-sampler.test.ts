import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import {
  clockTicksPerSecond,
  cpuSamplingAvailable,
  pidListeningOn,
  startCpuSampler,
} from "./cpu-sampler.js";

// Real /proc: Linux only, as the benchmark's CPU figures are.
describe.runIf(cpuSamplingAvailable())("the CPU sampler on this machine", () => {
  it("finds the process listening on a port (as it finds RabbitMQ's)", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(pidListeningOn(port)).toBe(process.pid);
    } finally {
      server.close();
    }
  });

  it("counts a child that burns CPU and exits while the stretch runs", async () => {
    // A shell that runs a busy child, then outlives it: the child is gone by the last reading.
    const work = "let x = 0; for (let i = 0; i < 5e7; i++) x += i; if (x < 0) console.log(x)";
    const shell = spawn("sh", ["-c", `"${process.execPath}" -e '${work}'; sleep 0.5`], {
      stdio: "ignore",
    });
    const exited = new Promise((r) => shell.once("exit", r));
    const sampler = startCpuSampler([{ pid: shell.pid!, role: "platform" }], 50);
    await exited;
    const budget = sampler.stop();
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
    const platform = budget.roles.find((r) => r.role === "platform")!;
    // The shell and the node child it ran; the child's CPU is counted, seen or reaped.
    expect(platform.processes).toBeGreaterThanOrEqual(2);
    expect(budget.totalCpuSeconds).toBeGreaterThan(0);
    // The shell's sleep alone is a switch: the machine's count was read and grew.
    expect(budget.contextSwitches).toBeGreaterThan(0);
    // The shell waited for its child and slept: its own switches were read and grew.
    expect(platform.contextSwitches).toBeGreaterThan(0);
  });
});
