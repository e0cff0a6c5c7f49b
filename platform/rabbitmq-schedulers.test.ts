import { describe, expect, it } from "vitest";
import { erlangSchedulers, schedulersFlag } from "./rabbitmq-schedulers.js";

describe("a private node's Erlang schedulers", () => {
  it("as many as the RabbitmqCluster's CPU request, rounded up, within the machine's cores", () => {
    const cases: [number | undefined, number, number | undefined][] = [
      // [request in millicores, cores, schedulers]
      [1000, 2, 1], // the shipped rabbitmq-cluster.yaml on this machine
      [500, 2, 1],
      [1, 2, 1],
      [1500, 8, 2],
      [2000, 2, 2],
      [4000, 2, 2], // no more than the machine has
      [undefined, 2, undefined], // no request: Erlang's own count
    ];
    for (const [request, cores, expected] of cases)
      expect(erlangSchedulers([{ cpuRequestMillis: request }], cores), `${request}m`).toBe(
        expected,
      );
  });

  it("takes the largest request when several clusters declare one, and none without a cluster", () => {
    expect(
      erlangSchedulers(
        [{ cpuRequestMillis: 1000 }, { cpuRequestMillis: undefined }, { cpuRequestMillis: 2000 }],
        4,
      ),
    ).toBe(2);
    expect(erlangSchedulers([], 4)).toBeUndefined();
  });

  it("is Erlang's +S flag, all of them online; nothing when unset", () => {
    expect(schedulersFlag(1)).toBe("+S 1:1");
    expect(schedulersFlag(undefined)).toBe("");
  });
});
