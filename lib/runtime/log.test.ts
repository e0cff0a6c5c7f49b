import { describe, expect, it } from "vitest";
import { lineLogger } from "./log.js";

describe("lineLogger", () => {
  it("writes one line per call, whatever the line quotes", () => {
    const written: string[] = [];
    const log = lineLogger("dispatcher t", (l) => written.push(l));
    log("dead-lettered evil\n[dispatcher t] forged line\u001b[31m (t): 500 boom");
    expect(written).toEqual([
      "[dispatcher t] dead-lettered evil\\n[dispatcher t] forged line\\x1b[31m (t): 500 boom",
    ]);
  });
});
