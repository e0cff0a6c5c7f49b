import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildModel } from "../manifests.js";
import {
  deadLetterDispatcherConfig,
  dispatcherEnv,
  DISPATCHER_DEFAULTS,
  dispatcherGroupEnv,
  readDispatcherConfig,
  readDispatcherConfigs,
  triggerDispatcherConfig,
} from "./dispatcher-env.js";
import { HPA_DEFAULT_BEHAVIOR } from "./hpa-behavior.js";
import { planTopology } from "./topology.js";

const doc = (yaml: string) => ({ doc: parse(yaml) as Record<string, unknown>, file: "test.yaml" });

const service = doc(`
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: order, namespace: ns }
spec: { template: { spec: { containers: [{ image: "registry.example/order:1" }] } } }
`);
const sink = doc(`
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: sink, namespace: ns }
spec: { template: { spec: { containers: [{ image: "registry.example/sink:1" }] } } }
`);

function plan(brokerSpec: string, triggerSpec: string) {
  const broker = doc(`
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: ns }
spec: ${brokerSpec}
`);
  const trigger = doc(`
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: order
  namespace: ns
  annotations: { rabbitmq.eventing.knative.dev/parallelism: "7" }
spec:
  broker: default
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: order } }
  ${triggerSpec}
`);
  return planTopology(buildModel([broker, service, sink, trigger]), "uid1");
}

const AMQP = "amqp://guest:guest@127.0.0.1:5672";

describe("the dispatcher's environment", () => {
  it("carries a Trigger's plan to the dispatcher unchanged (plan → env → config)", () => {
    const topology = plan(
      "{ delivery: { retry: 2, backoffPolicy: linear, backoffDelay: PT0.5S, deadLetterSink: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: sink } } } }",
      "",
    );
    const config = triggerDispatcherConfig(topology.triggers[0]!, "http://127.0.0.1:1/", AMQP);
    expect(config).toEqual({
      name: "order",
      amqpUrl: AMQP,
      queue: topology.triggers[0]!.queue,
      subscriberUrl: "http://127.0.0.1:1/",
      parallelism: 7,
      mode: "trigger",
      brokerExchange: topology.brokers[0]!.exchange,
      deadLetterExchange: topology.brokers[0]!.deadLetterExchange,
      policy: { retry: 2, backoffPolicy: "linear", backoffDelayMs: 500, timeoutMs: undefined },
    });
    expect(readDispatcherConfig(dispatcherEnv(config))).toEqual(config);
  });

  it("carries a ScaledObject's decision inputs to the dispatcher, and refuses a broken one", () => {
    const topology = plan("{}", "");
    const backlog = {
      name: "order-dispatcher",
      minReplicas: 1,
      maxReplicas: 10,
      pollingIntervalMs: 1000,
      cooldownMs: 30_000,
      value: 20,
      activationValue: 0,
      behavior: HPA_DEFAULT_BEHAVIOR,
      hpaSyncMs: 15_000,
      countsUnacked: false,
    };
    const trigger = {
      ...topology.triggers[0]!,
      trigger: { ...topology.triggers[0]!.trigger, backlog },
    };
    // The platform's HPA sync period (HPA_SYNC_PERIOD) replaces the cluster's default.
    const config = triggerDispatcherConfig(trigger, "http://127.0.0.1:1/", AMQP, 2_000);
    expect(config.backlog).toEqual({ ...backlog, hpaSyncMs: 2_000 });
    expect(readDispatcherConfig(dispatcherEnv(config))).toEqual(config);
    const noPolicies = {
      ...backlog,
      behavior: { ...HPA_DEFAULT_BEHAVIOR, scaleUp: { stabilizationMs: 0, selectPolicy: "Max" } },
    };
    expect(() =>
      readDispatcherConfig({
        ...dispatcherEnv(config),
        BACKLOG_SCALING: JSON.stringify(noPolicies),
      }),
    ).toThrow(/BACKLOG_SCALING.behavior.scaleUp/);
    const env = {
      ...dispatcherEnv(config),
      BACKLOG_SCALING: JSON.stringify({ ...backlog, value: 0 }),
    };
    expect(() => readDispatcherConfig(env)).toThrow(/BACKLOG_SCALING.value/);
    const { countsUnacked: _, ...withoutCount } = backlog;
    expect(() =>
      readDispatcherConfig({
        ...dispatcherEnv(config),
        BACKLOG_SCALING: JSON.stringify(withoutCount),
      }),
    ).toThrow(/BACKLOG_SCALING.countsUnacked/);
  });

  // eventing-rabbitmq pkg/reconciler/trigger/trigger.go (ReconcileKind) at
  // bd1ee997d372a3aae8fdcca10fbceb61cd4e9e32: a Trigger's own delivery replaces the Broker's.
  it("a Trigger's own delivery replaces the Broker's whole: no merge, no Broker DLX", () => {
    const topology = plan(
      "{ delivery: { retry: 2, backoffPolicy: linear, backoffDelay: PT0.5S, deadLetterSink: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: sink } } } }",
      "delivery: { timeout: PT10S }",
    );
    const config = triggerDispatcherConfig(topology.triggers[0]!, "http://127.0.0.1:1/", AMQP);
    // Nothing of the Broker's delivery: 5 retries (a spec without retry), the default backoff,
    // and no dead-letter exchange (its delivery names no sink: failures are acked and dropped).
    expect(config.policy).toEqual({
      retry: 5,
      backoffPolicy: "exponential",
      backoffDelayMs: DISPATCHER_DEFAULTS.backoffDelayMs,
      timeoutMs: 10_000,
    });
    expect(config.deadLetterExchange).toBe("");
    expect(readDispatcherConfig(dispatcherEnv(config))).toEqual(config);
  });

  it("a Trigger whose own delivery names a sink dead-letters into its own exchange", () => {
    const topology = plan(
      "{ delivery: { retry: 2 } }",
      "delivery: { retry: 1, deadLetterSink: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: sink } } }",
    );
    const t = topology.triggers[0]!;
    const config = triggerDispatcherConfig(t, "http://s/", AMQP);
    expect(config.deadLetterExchange).toBe(t.deadLetterExchange);
    expect(config.deadLetterExchange).not.toBe(topology.brokers[0]!.deadLetterExchange);
    expect(config.policy.retry).toBe(1);
  });

  it("a Broker without a deadLetterSink has no DLX: its Triggers' DLX_NAME is empty", () => {
    const topology = plan("{ delivery: { retry: 2 } }", "");
    expect(topology.brokers[0]!.hasDeadLetterSink).toBe(false);
    expect(
      triggerDispatcherConfig(topology.triggers[0]!, "http://s/", AMQP).deadLetterExchange,
    ).toBe("");
  });

  it("applies eventing-rabbitmq's defaults: 5 retries with a delivery spec, none without", () => {
    const withSpec = triggerDispatcherConfig(
      plan("{ delivery: { timeout: PT1S } }", "").triggers[0]!,
      "http://s/",
      AMQP,
    );
    expect(withSpec.policy).toEqual({
      retry: 5,
      backoffPolicy: "exponential",
      backoffDelayMs: DISPATCHER_DEFAULTS.backoffDelayMs,
      timeoutMs: 1000,
    });
    const without = triggerDispatcherConfig(plan("{}", "").triggers[0]!, "http://s/", AMQP);
    expect(without.policy).toEqual({
      retry: 0,
      backoffPolicy: "exponential",
      backoffDelayMs: 50,
      timeoutMs: undefined,
    });
    expect(readDispatcherConfig(dispatcherEnv(without))).toEqual(without);
  });

  it("carries a dead-letter dispatcher's plan unchanged", () => {
    const topology = plan(
      "{ delivery: { backoffDelay: PT2S, deadLetterSink: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: sink } } } }",
      "",
    );
    const b = topology.brokers[0]!;
    const config = deadLetterDispatcherConfig(
      { queue: b.deadLetterQueue, exchange: b.exchange, delivery: b.broker.delivery },
      "http://127.0.0.1:2/",
      AMQP,
    );
    expect(config).toMatchObject({
      name: `dlq-${b.deadLetterQueue}`,
      mode: "dead-letter",
      parallelism: 1,
      deadLetterExchange: "",
      policy: { backoffPolicy: "exponential", backoffDelayMs: 2000, timeoutMs: undefined },
    });
    expect(readDispatcherConfig(dispatcherEnv(config))).toEqual(config);
    const bare = deadLetterDispatcherConfig(
      { queue: "q", exchange: "x", delivery: undefined },
      "http://s/",
      AMQP,
    );
    expect(bare.policy.backoffDelayMs).toBe(DISPATCHER_DEFAULTS.deadLetterBackoffDelayMs);
  });

  it("reads unset optional variables as the stated defaults", () => {
    expect(
      readDispatcherConfig({
        DISPATCHER_NAME: "t",
        AMQP_URL: AMQP,
        QUEUE_NAME: "q",
        SUBSCRIBER: "http://s/",
        BROKER_EXCHANGE: "x",
        DLX_NAME: "dlx",
      }),
    ).toMatchObject({
      mode: "trigger",
      parallelism: DISPATCHER_DEFAULTS.parallelism,
      policy: {
        retry: DISPATCHER_DEFAULTS.retry,
        backoffPolicy: DISPATCHER_DEFAULTS.backoffPolicy,
        backoffDelayMs: DISPATCHER_DEFAULTS.backoffDelayMs,
        timeoutMs: undefined,
      },
    });
  });

  const good = dispatcherEnv(
    triggerDispatcherConfig(plan("{}", "").triggers[0]!, "http://127.0.0.1:1/", AMQP),
  );
  it.each([
    [
      "DISPATCH_MODE",
      "deadletter",
      /^DISPATCH_MODE="deadletter" is not one of trigger, dead-letter$/,
    ],
    ["BACKOFF_POLICY", "Linear", /^BACKOFF_POLICY="Linear" is not one of linear, exponential$/],
    ["BACKOFF_DELAY_MS", "fast", /^BACKOFF_DELAY_MS="fast" is not a number/],
    ["BACKOFF_DELAY_MS", "-1", /^BACKOFF_DELAY_MS="-1"/],
    ["TIMEOUT_MS", "30s", /^TIMEOUT_MS="30s"/],
    ["RETRY", "2.5", /^RETRY="2.5" is not an integer/],
    ["PARALLELISM", "0", /^PARALLELISM="0" is not an integer ≥ 1$/],
    ["QUEUE_NAME", "", /^QUEUE_NAME is not set$/],
    ["SUBSCRIBER", undefined, /^SUBSCRIBER is not set$/],
  ])("refuses %s=%j, naming the variable", (name, value, message) => {
    expect(() => readDispatcherConfig({ ...good, [name]: value })).toThrow(message);
  });

  it('takes DLX_NAME="" as no dead-letter exchange, as upstream passes it', () => {
    expect(readDispatcherConfig({ ...good, DLX_NAME: "" }).deadLetterExchange).toBe("");
  });

  describe("several dispatchers in one process (DISPATCHERS)", () => {
    const topology = plan("{ delivery: { retry: 2 } }", "");
    const order = triggerDispatcherConfig(topology.triggers[0]!, "http://127.0.0.1:1/", AMQP);
    const other = { ...order, name: "payment", queue: "leveler.payment.uid1", parallelism: 3 };

    it("carries each member's config unchanged, in order", () => {
      expect(readDispatcherConfigs(dispatcherGroupEnv([order, other]))).toEqual([order, other]);
    });

    it("without DISPATCHERS, is the one dispatcher the process's own variables describe", () => {
      expect(readDispatcherConfigs(dispatcherEnv(order))).toEqual([order]);
    });

    it.each([
      ["not JSON", "{", "DISPATCHERS is not JSON"],
      ["an empty array", "[]", "DISPATCHERS must be a non-empty array of environments"],
      ["an object", "{}", "DISPATCHERS must be a non-empty array of environments"],
      ["a member not an object", '["x"]', "DISPATCHERS[0] is not an object of variables"],
    ])("refuses DISPATCHERS that is %s", (_what, raw, message) => {
      expect(() => readDispatcherConfigs({ DISPATCHERS: raw })).toThrow(message);
    });

    it("names the member and the variable of a bad entry", () => {
      const env = dispatcherGroupEnv([order, other]);
      const members = JSON.parse(env.DISPATCHERS!) as Record<string, string>[];
      delete members[1]!.QUEUE_NAME;
      expect(() => readDispatcherConfigs({ DISPATCHERS: JSON.stringify(members) })).toThrow(
        "DISPATCHERS[1]: QUEUE_NAME is not set",
      );
    });

    it("refuses two members of one name, and members of different brokers", () => {
      expect(() => readDispatcherConfigs(dispatcherGroupEnv([order, order]))).toThrow(
        "DISPATCHERS names order twice",
      );
      const elsewhere = { ...other, amqpUrl: "amqp://guest:guest@127.0.0.1:5673" };
      expect(() => readDispatcherConfigs(dispatcherGroupEnv([order, elsewhere]))).toThrow(
        "DISPATCHERS must share one AMQP_URL",
      );
    });
  });
});
