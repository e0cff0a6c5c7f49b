/**
 * `leveler send` against a real local platform: the CLI bundle as a user runs it, an event
 * accepted and its `.processed` reply waited for, bad data shown as the ingress's problem, and
 * `leveler observe --once` showing the function that woke up for it.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "./harness.js";

const CLI = join(import.meta.dirname, "..", "dist", "platform", "cli.js");
const REPORT = "com.example.report.requested";

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
}, 120_000);
afterAll(() => t?.stop());

async function leveler(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = {
    ...process.env,
    INGRESS_PORT: new URL(t.ingressUrl).port,
    STATUS_PORT: new URL(t.statusUrl).port,
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe("leveler send", () => {
  it("--wait prints each id and its .processed reply with the time it took", async () => {
    const r = await leveler(
      "send",
      REPORT,
      '{"reportId":"r-1","period":"daily"}',
      "--count",
      "2",
      "--wait",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const accepted = [...r.out.matchAll(/^(\S+) 202 accepted$/gm)].map((m) => m[1]);
    expect(accepted).toHaveLength(2);
    for (const id of accepted)
      expect(r.out).toMatch(
        new RegExp(
          `^${id} ${REPORT}\\.processed in \\d+ ms: \\{"eventId":"${id}".*"reportId":"r-1"`,
          "m",
        ),
      );
  }, 60_000);

  it("shows the ingress's problem for data that fails the schema, and exits non-zero", async () => {
    const r = await leveler("send", REPORT, '{"period":"hourly"}');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^400 .*\n {2}data\.reportId: is required/m);
    expect(r.err).toMatch(/data\.period: must be one of/);
  });

  it("refuses data that is not JSON with one line, sending nothing", async () => {
    const r = await leveler("send", REPORT, "{nope");
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^leveler send: the data is not JSON/);
  });

  it("leveler observe --once then shows the consumer that scaled from zero for the event", async () => {
    const sent = await leveler("send", REPORT, '{"reportId":"r-2","period":"daily"}', "--wait");
    expect(sent.code).toBe(0);
    const r = await leveler("observe", "--once");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines.find((l) => l.startsWith("report"))).toMatch(
      /^report\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\/\d+$/,
    );
    expect(r.out).toMatch(/ {2}report +0 → [1-9]/);
  }, 60_000);
});
