import { describe, expect, it } from "vitest";
import { IdLedger } from "./id-ledger.js";

function ledger(size = 10) {
  const l = new IdLedger("c1-", size);
  for (let n = 0; n < size; n++) l.sent(n);
  return l;
}

describe("IdLedger", () => {
  it("counts an accepted event with no reply as lost, and a refused one as not lost", () => {
    const l = ledger(4);
    l.answered(0, 202);
    l.answered(1, 202);
    l.answered(2, 429);
    l.reply("c1-0", "r-a");
    expect(l.counts()).toMatchObject({
      sent: 4,
      accepted: 2,
      refused: 1,
      unanswered: 1,
      processed: 1,
      lost: 1,
      duplicates: 0,
    });
    expect(l.lostIds()).toEqual(["c1-1"]);
  });

  it("tells a second execution (a new reply id) from a redelivery answered from the record (the same reply id)", () => {
    const l = ledger(3);
    for (let n = 0; n < 3; n++) l.answered(n, 202);
    l.reply("c1-0", "r-a");
    l.reply("c1-0", "r-a"); // redelivered, answered from the record
    l.reply("c1-1", "r-b");
    l.reply("c1-1", "r-c"); // executed twice
    l.reply("c1-2", "r-d");
    expect(l.counts()).toMatchObject({
      accepted: 3,
      processed: 3,
      lost: 0,
      duplicates: 1,
      redeliveries: 1,
    });
    expect(l.processed).toBe(3);
  });

  it("does not count a dead-lettered event as lost", () => {
    const l = ledger(2);
    l.answered(0, 202);
    l.answered(1, 202);
    l.deadLettered("c1-1");
    l.reply("c1-0", "r");
    expect(l.counts()).toMatchObject({ accepted: 2, processed: 1, deadLettered: 1, lost: 0 });
  });

  it("keeps replies for other cells' ids out of the count", () => {
    const l = ledger(2);
    l.answered(0, 202);
    l.reply("c2-0", "r");
    l.reply("c1-7", "r"); // beyond this cell's size
    l.reply("c1-x", "r");
    expect(l.counts()).toMatchObject({ processed: 0, lost: 1, foreign: 3 });
  });

  it("counts a 202 once even when a retry of the same id is answered again", () => {
    const l = ledger(1);
    l.answered(0, 503);
    l.answered(0, 202);
    l.answered(0, 202);
    expect(l.accepted).toBe(1);
    expect(l.counts()).toMatchObject({ accepted: 1, refused: 0 });
  });

  it("holds a million events in a few megabytes", () => {
    const before = process.memoryUsage().arrayBuffers;
    const l = new IdLedger("m-", 1_000_000);
    for (let n = 0; n < 1_000_000; n++) {
      l.sent(n);
      l.answered(n, 202);
    }
    for (let n = 0; n < 1_000_000; n += 2) l.reply(l.id(n), `r${n}`);
    expect(l.counts()).toMatchObject({ accepted: 1_000_000, processed: 500_000, lost: 500_000 });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it("drains on accepted events processed, not on replies for requests the client saw time out", () => {
    const l = ledger(3);
    l.answered(0, 202);
    l.reply("c1-1", "r-b"); // published, but the client timed out: never answered
    expect(l.processed).toBe(1);
    expect(l.acceptedProcessed).toBe(0); // event 0 still waits
    l.reply("c1-2", "r-c"); // its reply before its 202 was read
    l.answered(2, 202);
    expect(l.acceptedProcessed).toBe(1);
    l.reply("c1-0", "r-a");
    expect(l.acceptedProcessed).toBe(2);
    expect(l.accepted).toBe(2);
  });
});
