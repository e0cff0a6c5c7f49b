import { describe, expect, it } from "vitest";
import type { BrokerSpec, QueuePolicySpec } from "../manifests.js";
import { queueArguments } from "./topology.js";

const broker = (queueType: BrokerSpec["queueType"]): BrokerSpec => ({
  kind: "Broker",
  name: "default",
  namespace: "leveler",
  file: "broker.yaml",
  brokerClass: "RabbitMQBroker",
  queueType,
  delivery: undefined,
});
const policy = (over: Partial<QueuePolicySpec>): QueuePolicySpec => ({
  kind: "OperatorPolicy",
  name: "p",
  file: "queue-bounds.yaml",
  pattern: /^leveler\./,
  priority: 0,
  ...over,
});
// rabbitmq-eventing/queue-bounds.yaml
const bounds = policy({
  maxLength: 200_000,
  maxLengthBytes: 268_435_456,
  overflow: "reject-publish",
});

describe("a Trigger queue's arguments", () => {
  const table: [string, BrokerSpec, string, QueuePolicySpec[], Record<string, unknown>][] = [
    [
      "quorum, no policy",
      broker("quorum"),
      "leveler.order.local",
      [],
      { "x-queue-type": "quorum" },
    ],
    [
      "classic from the RabbitmqBrokerConfig",
      broker("classic"),
      "leveler.order.local",
      [],
      { "x-queue-type": "classic" },
    ],
    [
      "the OperatorPolicy's bounds",
      broker("quorum"),
      "leveler.order.local",
      [bounds],
      {
        "x-queue-type": "quorum",
        "x-max-length": 200_000,
        "x-max-length-bytes": 268_435_456,
        "x-overflow": "reject-publish",
      },
    ],
    [
      "a queue the pattern misses: no bounds",
      broker("quorum"),
      "other.order.local",
      [bounds],
      { "x-queue-type": "quorum" },
    ],
    [
      "a Policy and an OperatorPolicy: the lower bound of each, the operator's overflow",
      broker("quorum"),
      "leveler.order.local",
      [
        policy({ kind: "Policy", maxLength: 100, maxLengthBytes: 1e9, overflow: "drop-head" }),
        policy({ maxLength: 500, maxLengthBytes: 1e6, overflow: "reject-publish" }),
      ],
      {
        "x-queue-type": "quorum",
        "x-max-length": 100,
        "x-max-length-bytes": 1e6,
        "x-overflow": "reject-publish",
      },
    ],
    [
      "two OperatorPolicies: the higher priority alone",
      broker("quorum"),
      "leveler.order.local",
      [policy({ priority: 1, maxLength: 10 }), policy({ priority: 5, maxLength: 50 })],
      { "x-queue-type": "quorum", "x-max-length": 50 },
    ],
    [
      "a Policy's overflow when the OperatorPolicy has none",
      broker("classic"),
      "leveler.order.local",
      [policy({ kind: "Policy", overflow: "reject-publish-dlx" }), policy({ maxLength: 7 })],
      { "x-queue-type": "classic", "x-max-length": 7, "x-overflow": "reject-publish-dlx" },
    ],
  ];
  it.each(table)("%s", (_name, b, queue, policies, want) => {
    expect(queueArguments(b, queue, policies)).toEqual(want);
  });
});
