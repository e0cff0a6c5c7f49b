/**
 * The function and its manifests agree: the Service parks into the queue the Queue manifest
 * declares, and that Queue is declared the way the function relies on (PARKED_QUEUE).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_TOKEN_FILE } from "./config.js";
import { PARKED_QUEUE } from "./parked-queue.js";

const root = join(import.meta.dirname, "..", "..");
interface Container {
  env: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface ServiceDoc {
  spec: {
    template: {
      spec: {
        containers: Container[];
        volumes: { name: string; secret?: Record<string, unknown> }[];
      };
    };
  };
}
interface QueueDoc {
  spec: { name: string; type: string; durable: boolean; arguments: Record<string, unknown> };
}
const read = <T>(path: string) => parse(readFileSync(join(root, path), "utf8")) as T;

describe("dead-letter sink manifests", () => {
  const queue = read<QueueDoc>("rabbitmq-eventing/dead-letters-queue.yaml");
  const service = read<ServiceDoc>("knative/services/dead-letters.yaml");
  const container = service.spec.template.spec.containers[0]!;

  it("the Service's DEAD_LETTER_QUEUE is the Queue's spec.name", () => {
    const env = container.env.find((e) => e.name === "DEAD_LETTER_QUEUE");
    expect(env?.value).toBe(queue.spec.name);
  });

  it("the Queue is declared as the function expects: quorum, durable, its arguments", () => {
    expect(queue.spec.type).toBe(PARKED_QUEUE.type);
    expect(queue.spec.durable).toBe(PARKED_QUEUE.durable);
    expect(queue.spec.arguments).toEqual(PARKED_QUEUE.arguments);
  });

  it("the token Secret is mounted where the function reads it, and optional", () => {
    const mount = container.volumeMounts.find((m) => m.name === "api-token");
    expect(`${mount?.mountPath}/token`).toBe(DEFAULT_TOKEN_FILE);
    const volume = service.spec.template.spec.volumes.find((v) => v.name === "api-token");
    expect(volume?.secret).toEqual({ secretName: "dead-letters-token", optional: true });
  });
});
