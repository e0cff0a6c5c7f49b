import { describe, expect, it } from "vitest";
import { readPlatformConfig } from "../config.js";
import { childEnv, parsePassEnv } from "./child-env.js";

const shell = {
  PATH: "/usr/bin",
  HOME: "/home/u",
  LC_TIME: "C",
  NODE_OPTIONS: "--enable-source-maps",
  OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
  MAX_EVENT_BYTES: "1000",
  AWS_SECRET_ACCESS_KEY: "s3cr3t",
  GITHUB_TOKEN: "ghp_x",
  DATABASE_URL: "postgres://u:p@db/x",
  LEVELER_PAYMENT_FAIL_RATE: "0.2",
  SSH_AUTH_SOCK: "/tmp/agent",
  UNSET: undefined,
};

describe("a child's environment", () => {
  it("passes what a process and a function need, nothing else of the shell", () => {
    expect(childEnv(shell)).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      LC_TIME: "C",
      NODE_OPTIONS: "--enable-source-maps",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      MAX_EVENT_BYTES: "1000",
    });
  });

  it("adds the names the user lists, and the platform's own values last", () => {
    const env = childEnv(shell, {
      pass: ["DATABASE_URL"],
      extras: { AMQP_URL: "amqp://x", PATH: "/opt/bin" },
    });
    expect(env.DATABASE_URL).toBe("postgres://u:p@db/x");
    expect(env.AMQP_URL).toBe("amqp://x");
    expect(env.PATH).toBe("/opt/bin");
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it("LEVELER_PASS_ENV is a list of names, checked", () => {
    expect(parsePassEnv(undefined)).toEqual([]);
    expect(parsePassEnv(" DATABASE_URL, REDIS_URL ,")).toEqual(["DATABASE_URL", "REDIS_URL"]);
    expect(parsePassEnv("A,B=c")).toMatch(/LEVELER_PASS_ENV: "B=c" is not/);
    expect(readPlatformConfig({ LEVELER_PASS_ENV: "A,B" }, "/tmp").passEnv).toEqual(["A", "B"]);
    expect(() => readPlatformConfig({ LEVELER_PASS_ENV: "1X" }, "/tmp")).toThrow(
      /LEVELER_PASS_ENV/,
    );
  });
});
