import { describe, expect, it } from "vitest";
import { childName } from "./child-name.js";

// knative/pkg kmeta/names_test.go (TestChildName) at 521cb33b33ddfe74529a68ff564450c051287436.
const cases: [parent: string, suffix: string, want: string][] = [
  ["asdf", "-deployment", "asdf-deployment"],
  [
    "f".repeat(63),
    "-deployment",
    "ffffffffffffffffffff105d7597f637e83cc711605ac3ea4957-deployment",
  ],
  ["f".repeat(63), "-deploy", "ffffffffffffffffffffffff105d7597f637e83cc711605ac3ea4957-deploy"],
  [
    "f".repeat(63),
    "f".repeat(63),
    "fffffffffffffffffffffffffffffff0502661254f13c89973cb3a83e0cbec0",
  ],
  ["a", "f".repeat(63), "ab5cfd486935decbc0d305799f4ce4414ffffffffffffffffffffffffffffff"],
  [
    "b".repeat(32),
    "f".repeat(32),
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb329c7c81b9ab3ba71aa139066aa5625d",
  ],
  ["aaaa", "b---a".repeat(20), "aaaa7a3f7966594e3f0849720eced8212c18b---ab---ab---ab---ab---ab"],
  [
    "a".repeat(17),
    "a.-.-.-.-.-.-.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaa1eb10dc911444f8434af83b7225442da",
  ],
];

describe("kmeta.ChildName", () => {
  it.each(cases)("%s + %s", (parent, suffix, want) => {
    const got = childName(parent, suffix);
    expect(got).toBe(want);
    expect(got.length).toBeLessThanOrEqual(63);
  });
});
