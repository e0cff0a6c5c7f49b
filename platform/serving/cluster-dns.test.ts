import { describe, expect, it } from "vitest";
import { localAddressFor, withLocalAddresses } from "./cluster-dns.js";

const addresses = new Map([
  ["dead-letters.leveler", "http://127.0.0.1:4100"],
  ["order.leveler", "http://127.0.0.1:4200/"],
]);

describe("cluster DNS stand-in", () => {
  it.each([
    ["http://dead-letters.leveler.svc.cluster.local", "http://127.0.0.1:4100"],
    ["http://dead-letters.leveler.svc.cluster.local/", "http://127.0.0.1:4100/"],
    ["http://dead-letters.leveler.svc.cluster.local:80/x?y=1", "http://127.0.0.1:4100/x?y=1"],
    ["http://dead-letters.leveler.svc", "http://127.0.0.1:4100"],
    ["http://dead-letters.leveler.svc:8080/a", "http://127.0.0.1:4100/a"],
    ["http://dead-letters.leveler", "http://127.0.0.1:4100"],
    ["http://Dead-Letters.Leveler.svc.cluster.local.", "http://127.0.0.1:4100"],
    ["http://order.leveler/hook", "http://127.0.0.1:4200/hook"],
  ])("%s → %s", (value, local) => {
    expect(localAddressFor(value, addresses)).toBe(local);
  });

  it.each([
    ["another namespace", "http://dead-letters.other.svc.cluster.local"],
    ["a Service not running", "http://nope.leveler.svc.cluster.local"],
    ["an outside host", "http://example.com/hook"],
    ["a longer name", "http://dead-letters.leveler.svc.cluster.example"],
    ["https (no local TLS)", "https://dead-letters.leveler.svc.cluster.local"],
    ["not a URL", "dead-letters.leveler"],
    ["a plain value", "leveler-dead-letters"],
  ])("leaves %s alone", (_what, value) => {
    expect(localAddressFor(value, addresses)).toBeUndefined();
  });

  it("rewrites every variable by the same rule, whatever its name", () => {
    expect(
      withLocalAddresses(
        {
          K_DEAD_LETTER_SINK: "http://dead-letters.leveler.svc.cluster.local",
          ANY_NAME: "http://order.leveler.svc/x",
          DEAD_LETTER_QUEUE: "leveler-dead-letters",
        },
        addresses,
      ),
    ).toEqual({
      K_DEAD_LETTER_SINK: "http://127.0.0.1:4100",
      ANY_NAME: "http://127.0.0.1:4200/x",
      DEAD_LETTER_QUEUE: "leveler-dead-letters",
    });
  });
});
