import { describe, expect, it } from "vitest";
import { printable } from "./printable.js";

describe("printable", () => {
  it.each([
    ["plain-id-42", "plain-id-42"],
    ["é ünïcode 注文 stays", "é ünïcode 注文 stays"],
    ["ok\u001b[2Jgone", "ok\\x1b[2Jgone"],
    ["one\ntwo\r\tthree", "one\\ntwo\\r\\tthree"],
    ["nul\u0000del\u007fc1\u009b", "nul\\x00del\\x7fc1\\x9b"],
    ["line\u2028sep", "line\\u2028sep"],
    ["evil\u202egnp.exe", "evil\\u202egnp.exe"],
  ])("%j → %j", (input, output) => {
    expect(printable(input)).toBe(output);
  });
});
