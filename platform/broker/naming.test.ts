import { describe, expect, it } from "vitest";
import {
  brokerNames,
  isTriggerQueueName,
  triggerDeadLetterNames,
  triggerQueueName,
} from "./naming.js";

// eventing-rabbitmq pkg/rabbitmqnaming/naming_test.go at bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32.
describe("eventing-rabbitmq's RabbitMQ names", () => {
  const ns = "foobar";
  it("TestExchangeName: the Broker's exchange and dead-letter exchange", () => {
    expect(brokerNames(ns, "testbroker", "brokeruid").exchange).toBe(
      "b.foobar.testbroker.brokeruid",
    );
    expect(brokerNames(ns, "testbroker", "brokeruid").deadLetterExchange).toBe(
      "b.foobar.testbroker.dlx.brokeruid",
    );
  });
  it("TestCreateBrokerDeadLetterQueueName", () => {
    expect(brokerNames(ns, "testbroker", "brokeruid").deadLetterQueue).toBe(
      "b.foobar.testbroker.dlq.brokeruid",
    );
  });
  it("TestTriggerDLXExchangeName and TestCreateTriggerDeadLetterQueueName: the Trigger's uid", () => {
    expect(triggerDeadLetterNames(ns, "testtrigger", "triggeruid")).toEqual({
      exchange: "t.foobar.testtrigger.dlx.triggeruid",
      queue: "t.foobar.testtrigger.dlq.triggeruid",
    });
  });
  it("TestCreateTriggerQueueRabbitName: the Broker's uid", () => {
    expect(triggerQueueName(ns, "testtrigger", "brokeruid")).toBe("foobar.testtrigger.brokeruid");
  });
});

describe("names past 63 characters (kmeta.ChildName)", () => {
  // A real UID is 36 characters: any base over 27 is hashed.
  const uid = "6f1c1a3e-2b7a-4d8e-9c51-0a7e4b1f2c3d";
  it("a Broker's names stay within 63 characters, keep their start and end with the uid when it fits", () => {
    const names = brokerNames("team-payments-production", "orders-broker", uid);
    for (const name of Object.values<string>({ ...names }))
      expect(name.length).toBeLessThanOrEqual(63);
    expect(names.exchange).toMatch(/^b\.team-payments-production\.orde[0-9a-f]{32}$/);
    expect(new Set(Object.values(names)).size).toBe(3);
  });
  it("short names are untouched", () => {
    expect(brokerNames("leveler", "default", "local").exchange).toBe("b.leveler.default.local");
  });
  it("a long Trigger's dead-letter names are shortened; its queue name is not", () => {
    const long = "order-created-handler-with-a-rather-long-name-x";
    const { exchange, queue } = triggerDeadLetterNames("leveler", long, "local");
    expect(exchange).toHaveLength(63);
    expect(queue).toHaveLength(63);
    expect(exchange).not.toBe(queue);
    expect(queue.endsWith("local")).toBe(true);
    expect(triggerQueueName("leveler", long, uid)).toBe(`leveler.${long}.${uid}`);
  });
});

describe("which queues are a Broker's Trigger queues", () => {
  it.each([
    ["leveler.order.local", true],
    ["leveler.order-created.local", true],
    ["leveler.order.other", false], // another instance
    ["other.order.local", false], // another namespace
    ["b.leveler.default.dlq.local", false], // not a Trigger queue
    ["leveler..local", false],
    ["leveler.a.b.local", false],
    ["leveler.Order.local", false],
  ] as const)("%s: %s", (queue, want) => {
    expect(isTriggerQueueName(queue, "leveler", "local")).toBe(want);
  });
});
