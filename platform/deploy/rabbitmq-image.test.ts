/**
 * The RabbitmqCluster pins a RabbitMQ image whose server accepts every key of the OperatorPolicy:
 * `overflow` in an operator policy came with rabbitmq/rabbitmq-server#9650 (October 2023, in 3.13.0
 * and backported to 3.12.x; the 3.12 patch release is not verified here, so only 3.13+ counts).
 * Older servers answer "not recognised policy settings" (rabbitmq/rabbitmq-server#9127).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const read = (file: string) =>
  parseAllDocuments(readFileSync(join(root, "rabbitmq-eventing", file), "utf8")).map(
    (d) => d.toJS() as { spec: Record<string, unknown> },
  );

function acceptsOverflow(version: string): boolean {
  const [major, minor] = version.split(".").map(Number) as [number, number];
  return major > 3 || (major === 3 && minor >= 13);
}

describe("the RabbitmqCluster's image", () => {
  const [cluster] = read("rabbitmq-cluster.yaml");
  const image = typeof cluster!.spec.image === "string" ? cluster!.spec.image : "";

  it("is pinned to a release (a version tag or a digest), never the operator's default", () => {
    expect(image).toMatch(/^rabbitmq:\d+\.\d+\.\d+-management(@sha256:[0-9a-f]{64})?$/);
  });

  it("accepts the OperatorPolicy's overflow", () => {
    const [policy] = read("queue-bounds.yaml");
    expect(policy!.spec.definition).toMatchObject({ overflow: "reject-publish" });
    const version = /^rabbitmq:(\d+\.\d+\.\d+)/.exec(image)![1]!;
    expect(acceptsOverflow(version)).toBe(true);
  });

  it("knows which versions refuse it", () => {
    expect(["3.10.8", "3.11.28", "3.12.0"].map(acceptsOverflow)).toEqual([false, false, false]);
    expect(["3.13.0", "3.13.7", "4.0.5"].map(acceptsOverflow)).toEqual([true, true, true]);
  });
});
