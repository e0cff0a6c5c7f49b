import { describe, expect, it } from "vitest";
import { ProcessedRecord } from "./processed-record.js";

describe("processed-event record", () => {
  it("runs the work once per key and hands duplicates the same result, even while it runs", async () => {
    const record = new ProcessedRecord<string>({ maxEntries: 10, ttlMs: 1000 });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = async () => {
      runs++;
      await gate;
      return `reply-${runs}`;
    };
    const first = record.run("a", work);
    const second = record.run("a", work);
    expect([first.duplicate, second.duplicate]).toEqual([false, true]);
    release();
    expect(await second.value).toBe("reply-1");
    expect(runs).toBe(1);
  });

  it("forgets failed work and work the caller does not keep, so a redelivery tries again", async () => {
    const record = new ProcessedRecord<string>({ maxEntries: 10, ttlMs: 1000 });
    await record.run("x", () => Promise.reject(new Error("boom"))).value.catch(() => undefined);
    expect(record.run("x", () => Promise.resolve("ok")).duplicate).toBe(false);
    const transient = record.run(
      "y",
      () => Promise.resolve("retry"),
      (v) => v !== "retry",
    );
    await transient.value;
    await Promise.resolve();
    expect(record.run("y", () => Promise.resolve("ok")).duplicate).toBe(false);
  });

  it("is bounded in entries and in time", async () => {
    let now = 0;
    const record = new ProcessedRecord<number>({ maxEntries: 3, ttlMs: 100, now: () => now });
    for (let i = 0; i < 10; i++) await record.run(`k${i}`, () => Promise.resolve(i)).value;
    expect(record.size).toBe(3);
    expect(record.run("k9", () => Promise.resolve(-1)).duplicate).toBe(true);
    now = 1000;
    expect(record.run("k9", () => Promise.resolve(-1)).duplicate).toBe(false);
  });
});
