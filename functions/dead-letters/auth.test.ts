import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBearer, tokenSource } from "./auth.js";

describe("bearer token", () => {
  it("accepts only the exact token", () => {
    expect(checkBearer("Bearer s3cret", "s3cret")).toBe("ok");
    expect(checkBearer("bearer s3cret", "s3cret")).toBe("ok");
    expect(checkBearer("Bearer s3cret2", "s3cret")).toBe("denied");
    expect(checkBearer("Bearer s3cre", "s3cret")).toBe("denied");
    expect(checkBearer("Basic czNjcmV0", "s3cret")).toBe("denied");
    expect(checkBearer(undefined, "s3cret")).toBe("denied");
  });

  it("is never open: without a configured token nothing passes", () => {
    expect(checkBearer("Bearer ", undefined)).toBe("unconfigured");
    expect(checkBearer("Bearer anything", undefined)).toBe("unconfigured");
    expect(checkBearer(undefined, "")).toBe("unconfigured");
  });

  it("reads the token from the environment first, else from the mounted file at each call", () => {
    const dir = mkdtempSync(join(tmpdir(), "dl-token-"));
    const file = join(dir, "token");
    expect(tokenSource(undefined, file)()).toBeUndefined();
    writeFileSync(file, "from-file\n");
    const fromFile = tokenSource(undefined, file);
    expect(fromFile()).toBe("from-file");
    writeFileSync(file, "rotated\n");
    expect(fromFile()).toBe("rotated");
    expect(tokenSource("from-env", file)()).toBe("from-env");
  });
});
