import { describe, expect, it } from "vitest";
import {
  listeningInodes,
  parseChildren,
  parseContextSwitches,
  parseProcStat,
  parseIoCalls,
  parseThreadSwitches,
  socketInode,
} from "./proc-stat.js";

// Field layout: proc(5), /proc/pid/stat (Linux man-pages); this line is a real beam.smp's.
const BEAM =
  "2951 (beam.smp) S 1 2950 2950 0 -1 4194304 33377 0 1 0 389 173 7 3 20 0 20 0 4907 2287071232 30993 18446744073709551615 94602244538368 94602247201993 140732078864896 0 0 0 0 725127 16896 0 0 0 17 0 0 0 0 0 0";

describe("parseProcStat", () => {
  it("reads pid, state, parent, CPU times and start time", () => {
    expect(parseProcStat(BEAM)).toEqual({
      pid: 2951,
      comm: "beam.smp",
      state: "S",
      ppid: 1,
      utime: 389,
      stime: 173,
      cutime: 7,
      cstime: 3,
      starttime: 4907,
    });
  });

  it("counts fields from the last parenthesis, whatever the command name holds", () => {
    const line = BEAM.replace("(beam.smp)", "(a) b (c) d)");
    expect(parseProcStat(line)).toMatchObject({ comm: "a) b (c) d", ppid: 1, utime: 389 });
  });

  it("reads a zombie's figures (exited, not yet reaped)", () => {
    expect(parseProcStat(BEAM.replace(") S ", ") Z "))).toMatchObject({ state: "Z", stime: 173 });
  });

  it("refuses what is not a stat line", () => {
    expect(parseProcStat("")).toBeNull();
    expect(parseProcStat("12 (x) S 1 2")).toBeNull();
    expect(parseProcStat("pid (x)" + BEAM.slice(BEAM.indexOf(")") + 1))).toBeNull();
  });
});

describe("parseChildren", () => {
  it("lists the pids, empty for none", () => {
    expect(parseChildren("9063 9070 \n")).toEqual([9063, 9070]);
    expect(parseChildren("")).toEqual([]);
  });
});

describe("listeningInodes", () => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 15195 1 00000000c3dd151b 100 0 0 10 0",
    "   1: 0100007F:1628 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000   107        0 15310 1 000000000fab24e1 20 4 30 10 -1",
    "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 15050 1 000000005edb8598 100 0 0 10 0",
  ].join("\n");

  it("finds the sockets listening on a port (hexadecimal in the table), not the connections", () => {
    expect(listeningInodes(table, 5672)).toEqual([15195]);
    expect(listeningInodes(table, 8080)).toEqual([15050]);
    expect(listeningInodes(table, 1234)).toEqual([]);
  });
});

describe("socketInode", () => {
  it("reads an fd link's socket inode, and nothing else", () => {
    expect(socketInode("socket:[15195]")).toBe(15195);
    expect(socketInode("pipe:[15195]")).toBeNull();
    expect(socketInode("/dev/null")).toBeNull();
  });
});

describe("parseContextSwitches", () => {
  // The head of a real /proc/stat (this machine's, cpu lines cut).
  const PROC_STAT = [
    "cpu  62191 20494 40626 1164866 776 0 4103 0 0 0",
    "cpu0 31000 10000 20000 582000 388 0 2050 0 0 0",
    "intr 9876543 0 9 0 0",
    "ctxt 48213377",
    "btime 1764791000",
    "processes 19312",
  ].join("\n");

  it("reads the ctxt line", () => {
    expect(parseContextSwitches(PROC_STAT)).toBe(48_213_377);
  });

  it("is null for a text without one", () => {
    expect(parseContextSwitches("cpu  1 2 3 4\nintr 5")).toBeNull();
    expect(parseContextSwitches("")).toBeNull();
  });
});

describe("parseThreadSwitches", () => {
  it("adds a thread's voluntary and involuntary switches", () => {
    const status = [
      "Name:\tnode",
      "State:\tS (sleeping)",
      "Threads:\t11",
      "voluntary_ctxt_switches:\t4100",
      "nonvoluntary_ctxt_switches:\t57",
    ].join("\n");
    expect(parseThreadSwitches(status)).toBe(4157);
  });

  it("is null when either count is missing", () => {
    expect(parseThreadSwitches("Name:\tnode\nvoluntary_ctxt_switches:\t3")).toBeNull();
    expect(parseThreadSwitches("")).toBeNull();
  });
});

describe("parseIoCalls", () => {
  // proc(5), /proc/pid/io; the text of a node process on this machine.
  const IO = [
    "rchar: 6976",
    "wchar: 120",
    "syscr: 10",
    "syscw: 3",
    "read_bytes: 0",
    "write_bytes: 0",
    "cancelled_write_bytes: 0",
  ].join("\n");

  it("adds the read and write calls", () => {
    expect(parseIoCalls(IO)).toBe(13);
  });

  it("is null without them (unreadable, or another kernel's layout)", () => {
    expect(parseIoCalls("")).toBeNull();
    expect(parseIoCalls("syscr: 10\n")).toBeNull();
  });
});
