import { describe, expect, it } from "vitest";
import type { DeadLetter } from "../dead-letters/dead-letter.js";
import { deadLetterLine } from "./dlq.js";

const letter = (over: Partial<DeadLetter>): DeadLetter => ({
  queue: "q",
  id: "e-1",
  type: "com.example.order.created",
  source: "/s",
  time: null,
  errorDestination: "http://127.0.0.1:1/",
  errorCode: "500",
  errorData: "boom",
  data: {},
  ...over,
});

describe("leveler dlq list", () => {
  it("prints a dead letter on one line", () => {
    expect(deadLetterLine(letter({}))).toBe(
      "e-1  com.example.order.created  code 500  → http://127.0.0.1:1/  boom",
    );
  });

  it("escapes control characters a client or subscriber put in the id, type or error text", () => {
    const line = deadLetterLine(
      letter({
        id: "e\u001b]0;pwned\u0007\u001b[2J",
        type: "t\rforged  com.example.ok",
        errorData: "x\u009b31m",
      }),
    );
    // eslint-disable-next-line no-control-regex -- what must not be printed
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(line).toContain("e\\x1b]0;pwned\\x07\\x1b[2J");
    expect(line).toContain("t\\rforged");
    expect(line).toContain("x\\x9b31m");
  });
});
