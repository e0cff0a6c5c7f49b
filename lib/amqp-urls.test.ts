import { describe, expect, it } from "vitest";
import { amqpUrls, nextUrlIndex, redact } from "./amqp-urls.js";

describe("AMQP_URL as a node list", () => {
  it("reads one URL (a cluster's Service) or several, comma-separated, in order", () => {
    expect(amqpUrls("amqp://u:p@rabbit.leveler.svc:5672")).toEqual([
      "amqp://u:p@rabbit.leveler.svc:5672",
    ]);
    expect(amqpUrls("amqp://u:p@a:5672, amqp://u:p@b:5673,amqps://u:p@c:5671,")).toEqual([
      "amqp://u:p@a:5672",
      "amqp://u:p@b:5673",
      "amqps://u:p@c:5671",
    ]);
  });

  it("refuses an entry that is not an amqp URL, without showing its password", () => {
    expect(() => amqpUrls("")).toThrow(/empty/);
    expect(() => amqpUrls("amqp://u:secret@a:5672,http://u:secret@b")).toThrow(
      /"http:\/\/u:\*\*\*@b\/?" is not amqp/,
    );
    expect(() => amqpUrls("amqp://u:p@a,b:5672")).toThrow(/"b:5672"/);
  });

  it("moves on to the next node after a failure, round the list", () => {
    expect([0, 1, 2].map((i) => nextUrlIndex(i, 3))).toEqual([1, 2, 0]);
    expect(nextUrlIndex(0, 1)).toBe(0);
  });

  it("redacts every node's password", () => {
    expect(redact("amqp://u:s1@a:1,amqp://u:s2@b:2")).toBe("amqp://u:***@a:1,amqp://u:***@b:2");
    expect(redact("amqp://a:1")).toBe("amqp://a:1");
  });
});
