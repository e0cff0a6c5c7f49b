import { describe, expect, it } from "vitest";
import { proxyPath } from "./send-cluster.js";
import { formatProblem, readData } from "./send.js";

describe("leveler send: input and output", () => {
  it("reads JSON inline or from @file, and says in one line what is wrong", () => {
    expect(readData('{"a":1}')).toEqual({ a: 1 });
    expect(readData("@x.json", () => '{"b":2}')).toEqual({ b: 2 });
    expect(readData(undefined)).toBeUndefined();
    expect(() => readData("{")).toThrow(/^the data is not JSON/);
    expect(() =>
      readData("@missing.json", () => {
        throw Object.assign(new Error("x"), { code: "ENOENT" });
      }),
    ).toThrow("cannot read missing.json: ENOENT");
  });

  it("shows a problem document as its title, detail and one line per field", () => {
    const body = JSON.stringify({
      title: "Invalid event",
      detail: "data.x is required",
      errors: [{ field: "data.x", message: "is required" }],
    });
    expect(formatProblem(400, body)).toBe(
      "400 Invalid event: data.x is required\n  data.x: is required",
    );
    expect(formatProblem(502, "Bad Gateway\n")).toBe("502: Bad Gateway");
  });

  it("reaches a Broker's in-cluster address through the API server's service proxy", () => {
    expect(proxyPath("http://default-broker-ingress.leveler.svc.cluster.local")).toBe(
      "/api/v1/namespaces/leveler/services/default-broker-ingress:80/proxy/",
    );
    expect(proxyPath("http://b.ns.svc.cluster.local:8080/ns/default")).toBe(
      "/api/v1/namespaces/ns/services/b:8080/proxy/ns/default",
    );
  });
});
