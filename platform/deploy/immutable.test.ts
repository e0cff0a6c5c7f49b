/**
 * The fields eventing-rabbitmq's validating webhook freezes
 * (knative-extensions/eventing-rabbitmq at bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32,
 * pkg/apis/eventing/v1alpha1/{broker,trigger,rabbitmq}_validation.go: kmp.ShortDiff of the
 * Broker's spec, the Trigger's spec.filter, the RabbitmqBrokerConfig's spec, plus the Broker's
 * class annotation).
 */
import { describe, expect, it } from "vitest";
import { describeChanges, immutableChanges } from "./immutable.js";
import type { KubeDoc } from "./render.js";

const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: "leveler",
  ...extra,
});
const rabbit = { annotations: { "eventing.knative.dev/broker.class": "RabbitMQBroker" } };
const broker = (spec: unknown, m: Record<string, unknown> = rabbit): KubeDoc => ({
  apiVersion: "eventing.knative.dev/v1",
  kind: "Broker",
  metadata: meta("default", m),
  spec,
});
const trigger = (spec: unknown, labels?: Record<string, string>): KubeDoc => ({
  apiVersion: "eventing.knative.dev/v1",
  kind: "Trigger",
  metadata: meta("order", labels ? { labels } : {}),
  spec,
});
const config = (spec: unknown): KubeDoc => ({
  apiVersion: "eventing.knative.dev/v1alpha1",
  kind: "RabbitmqBrokerConfig",
  metadata: meta("cfg"),
  spec,
});
const sub = { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "order" } };
const cfgRef = {
  apiVersion: "eventing.knative.dev/v1alpha1",
  kind: "RabbitmqBrokerConfig",
  name: "cfg",
};
const delivery = { retry: 5, backoffPolicy: "exponential", backoffDelay: "PT0.2S" };

describe("immutableChanges", () => {
  const cases: [string, KubeDoc, KubeDoc | undefined, string[]][] = [
    ["new object", trigger({ filter: { attributes: { type: "a" } } }), undefined, []],
    [
      "Trigger filter attribute changed",
      trigger({ broker: "default", filter: { attributes: { type: "b" } }, subscriber: sub }),
      trigger({ broker: "default", filter: { attributes: { type: "a" } }, subscriber: sub }),
      ['spec.filter.attributes.type: "a" → "b"'],
    ],
    [
      "Trigger filter attribute removed",
      trigger({ filter: { attributes: { type: "a" } } }),
      trigger({ filter: { attributes: { type: "a", source: "s" } } }),
      ['spec.filter.attributes.source: "s" → (none)'],
    ],
    [
      "Trigger subscriber, delivery and labels may change",
      trigger({ filter: { attributes: { type: "a" } }, subscriber: sub, delivery }, { a: "1" }),
      trigger({ filter: { attributes: { type: "a" } }, subscriber: { uri: "http://x" } }),
      [],
    ],
    [
      "no filter and the defaulted empty one are the same",
      trigger({ broker: "default" }),
      trigger({ broker: "default", filter: {} }),
      [],
    ],
    [
      "Broker delivery changed",
      broker({ config: cfgRef, delivery: { ...delivery, retry: 3 } }),
      broker({ config: cfgRef, delivery }),
      ["spec.delivery.retry: 5 → 3"],
    ],
    [
      "Broker gains a deadLetterSink",
      broker({ config: cfgRef, delivery: { ...delivery, deadLetterSink: sub } }),
      broker({ config: cfgRef, delivery }),
      [
        'spec.delivery.deadLetterSink: (none) → {"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"order"}}',
      ],
    ],
    [
      "Broker config namespace defaulted by the API server",
      broker({ config: cfgRef, delivery }),
      broker({ config: { ...cfgRef, namespace: "leveler" }, delivery }),
      [],
    ],
    [
      "Broker class changed",
      broker({ config: cfgRef }),
      broker(
        { config: cfgRef },
        { annotations: { "eventing.knative.dev/broker.class": "MTChannelBasedBroker" } },
      ),
      [
        'metadata.annotations["eventing.knative.dev/broker.class"]: "MTChannelBasedBroker" → "RabbitMQBroker"',
      ],
    ],
    [
      "Broker labels may change",
      broker({ config: cfgRef }, { ...rabbit, labels: { a: "1" } }),
      broker({ config: cfgRef }),
      [],
    ],
    [
      "RabbitmqBrokerConfig queue type changed",
      config({ rabbitmqClusterReference: { name: "r" }, queueType: "classic" }),
      config({ rabbitmqClusterReference: { name: "r" }, queueType: "quorum" }),
      ['spec.queueType: "quorum" → "classic"'],
    ],
    [
      "other kinds are never frozen",
      {
        apiVersion: "serving.knative.dev/v1",
        kind: "Service",
        metadata: meta("x"),
        spec: { a: 2 },
      },
      {
        apiVersion: "serving.knative.dev/v1",
        kind: "Service",
        metadata: meta("x"),
        spec: { a: 1 },
      },
      [],
    ],
  ];
  it.each(cases)("%s", (_name, desired, live, expected) => {
    const changes = immutableChanges(desired, live);
    expect(changes.map((c) => describeChanges([c]))).toEqual(expected);
  });
});
