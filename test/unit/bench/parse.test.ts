import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseFio, parseIperf3, parsePingPong, parsePingRtts, percentiles } from "../../../src/bench/parse.js";
import type { Latency } from "../../../src/bench/types.js";

/** Outputs recorded from the real tools; test/fixtures/bench/README.md has each command line. */
function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/bench/${name}`, import.meta.url), "utf8");
}

const MIB = 2 ** 20;

/** fio's nanosecond figures, written as read from the JSON, turned into the µs the parser returns. */
function nsLatency(p50: number, p99: number, max: number): Latency {
  return { p50: p50 / 1000, p99: p99 / 1000, max: max / 1000 };
}

function expectLatency(actual: Latency | undefined, expected: Latency): void {
  expect(actual).toBeDefined();
  expect(actual?.p50).toBeCloseTo(expected.p50, 6);
  expect(actual?.p99).toBeCloseTo(expected.p99, 6);
  expect(actual?.max).toBeCloseTo(expected.max, 6);
}

describe("parseFio on recorded fio 3.33 output", () => {
  it("sequential 1 MiB read: read figures only", () => {
    const result = parseFio(fixture("fio-seq-read.json"));
    // read.bw_bytes = 1129800027, read.iops = 1077.461269 (1 MiB blocks: MiB/s ≈ IOPS)
    expect(result.readMibs).toBeCloseTo(1129800027 / MIB, 9);
    expect(result.readMibs).toBeCloseTo(1077.46, 2);
    expect(result.readIops).toBe(1077.461269);
    // read.clat_ns: percentile 50.000000 = 741376, 99.000000 = 3424256, max = 35258741
    expectLatency(result.readLat, { p50: 741.376, p99: 3424.256, max: 35258.741 });
    expect(result).toMatchObject({ writeMibs: 0, writeIops: 0 });
    expect(result.writeLat).toBeUndefined();
    expect(result.syncLat).toBeUndefined();
  });

  it("sequential 1 MiB write: write figures only", () => {
    const result = parseFio(fixture("fio-seq-write.json"));
    // write.bw_bytes = 1639315672, write.iops = 1563.373253
    expect(result.writeMibs).toBeCloseTo(1563.373, 3);
    expect(result.writeIops).toBe(1563.373253);
    // write.clat_ns: 305152 / 2473984 / max 149788418
    expectLatency(result.writeLat, nsLatency(305152, 2473984, 149788418));
    expect(result).toMatchObject({ readMibs: 0, readIops: 0 });
    expect(result.readLat).toBeUndefined();
  });

  it("random 4 KiB read/write at QD16: both directions", () => {
    const result = parseFio(fixture("fio-randrw-4k-qd16.json"));
    // read.bw_bytes = 110991160, read.iops = 27097.451274; write.bw_bytes = 110514214, write.iops = 26981.009495
    expect(result.readMibs).toBeCloseTo(105.8494, 4);
    expect(result.writeMibs).toBeCloseTo(105.3946, 4);
    expect(result.readIops).toBe(27097.451274);
    expect(result.writeIops).toBe(26981.009495);
    expectLatency(result.readLat, nsLatency(224256, 1089536, 32873813));
    expectLatency(result.writeLat, nsLatency(276480, 1761280, 32949096));
    expect(result.syncLat).toBeUndefined();
  });

  it("random 4 KiB write at QD1: write latency, no read latency", () => {
    const result = parseFio(fixture("fio-randwrite-4k-qd1.json"));
    // write.bw_bytes = 33090294, write.iops = 8078.685259, clat 43264 / 946176 / max 63346678
    expect(result.writeMibs).toBeCloseTo(31.5574, 4);
    expect(result.writeIops).toBe(8078.685259);
    expectLatency(result.writeLat, nsLatency(43264, 946176, 63346678));
    expect(result.readLat).toBeUndefined();
  });

  it("fsync=1: syncLat comes from the sync section's lat_ns, apart from the write's own latency", () => {
    const result = parseFio(fixture("fio-fsync-4k.json"));
    // sync.total_ios = 5528; sync.lat_ns: 230400 / 2539520 / max 32169962
    expectLatency(result.syncLat, nsLatency(230400, 2539520, 32169962));
    // write.clat_ns (the buffered write before each fsync): 7712 / 37632 / max 1893844
    expectLatency(result.writeLat, nsLatency(7712, 37632, 1893844));
    expect(result.writeIops).toBe(2762.618691);
    expect(result.writeMibs).toBeCloseTo(11315686 / MIB, 9);
  });

  it("two jobs without group_reporting: sums throughput, takes each latency field from the worst job", () => {
    const result = parseFio(fixture("fio-randrw-4k-2jobs.json"));
    // job 1 read.bw_bytes 66561535 + job 2 67331198; write 66706870 + 67814284
    expect(result.readMibs).toBeCloseTo((66561535 + 67331198) / MIB, 9);
    expect(result.writeMibs).toBeCloseTo((66706870 + 67814284) / MIB, 9);
    // read.iops 16250.374813 + 16438.28086; write.iops 16285.857071 + 16556.221889
    expect(result.readIops).toBeCloseTo(32688.655673, 6);
    expect(result.writeIops).toBeCloseTo(32842.07896, 6);
    // read clat: job 1 407552 / 1531904 / 4186843, job 2 403456 / 1482752 / 4177769 -> job 1 throughout
    expectLatency(result.readLat, nsLatency(407552, 1531904, 4186843));
    // write clat: job 1 481280 / 2211840 / 4219972, job 2 473088 / 2113536 / 4604634 -> max from job 2
    expectLatency(result.writeLat, nsLatency(481280, 2211840, 4604634));
  });

  it("two jobs with group_reporting: the single aggregated entry as is", () => {
    const result = parseFio(fixture("fio-randrw-4k-2jobs-group.json"));
    // read.bw_bytes = 112700385, read.iops = 27514.742629; write.bw_bytes = 113077029, write.iops = 27606.696652
    expect(result.readMibs).toBeCloseTo(107.4795, 4);
    expect(result.writeMibs).toBeCloseTo(107.8387, 4);
    expect(result.readIops).toBe(27514.742629);
    expect(result.writeIops).toBe(27606.696652);
    expectLatency(result.readLat, nsLatency(452608, 2310144, 11593231));
  });
});

describe("parseFio rejects what it cannot trust", () => {
  it("names the failed job and its errno (recorded: open() refused on an immutable directory)", () => {
    expect(() => parseFio(fixture("fio-error-open-eperm.json"))).toThrow(/fio job #1 "badjob" failed with error 1\b/);
  });

  it("skips fio's notices printed before the JSON and still sees the job error", () => {
    const polluted = `fio: pid=0, err=1/file:filesetup.c:174, func=open, error=Operation not permitted\n${fixture("fio-error-open-eperm.json")}`;
    expect(() => parseFio(polluted)).toThrow(/"badjob" failed with error 1/);
  });

  it("reports output that is not JSON", () => {
    expect(() => parseFio(fixture("fio-seq-read.json").slice(0, 500))).toThrow(/fio output is not JSON/);
    expect(() => parseFio("fio: failed parsing rw=sideways\n")).toThrow(/no JSON object.*--output-format=json/);
  });

  it("reports output without jobs", () => {
    expect(() => parseFio('{ "fio version" : "fio-3.33", "jobs" : [] }')).toThrow(/no "jobs"/);
  });

  it("refuses I/O without percentiles instead of calling the direction idle", () => {
    const root = JSON.parse(fixture("fio-seq-read.json")) as { jobs: { read: { clat_ns: Record<string, unknown> } }[] };
    const job = root.jobs[0];
    if (!job) throw new Error("fixture has no job");
    delete job.read.clat_ns["percentile"];
    expect(() => parseFio(JSON.stringify(root))).toThrow(/"seqread" read: 2156 I\/Os but no percentiles/);
  });
});

describe("parseIperf3", () => {
  it("takes the receiver's throughput and the sender's retransmits (recorded loopback run)", () => {
    const result = parseIperf3(fixture("iperf3-loopback.json"));
    // end.sum_received.bits_per_second = 9091254693.18242; end.sum_sent.retransmits = 19
    expect(result.mibs).toBeCloseTo(9091254693.18242 / 8 / MIB, 9);
    expect(result.mibs).toBeCloseTo(1083.762, 3);
    expect(result.retransmits).toBe(19);
  });

  it("leaves retransmits undefined where the OS does not report them", () => {
    const root = JSON.parse(fixture("iperf3-loopback.json")) as { end: { sum_sent: Record<string, unknown> } };
    delete root.end.sum_sent["retransmits"];
    expect(parseIperf3(JSON.stringify(root)).retransmits).toBeUndefined();
  });

  it("throws iperf3's own error (recorded: nothing listening; iperf3 3.12 still exited 0)", () => {
    expect(() => parseIperf3(fixture("iperf3-error-refused.json"))).toThrow(
      /iperf3 failed: unable to connect to server: Connection refused/,
    );
  });

  it("throws on malformed or incomplete output", () => {
    expect(() => parseIperf3("iperf3: error - unable to connect to server")).toThrow(/iperf3 output is not JSON/);
    expect(() => parseIperf3('{ "start": {}, "intervals": [], "end": {} }')).toThrow(/iperf3 end: "sum_received" is missing/);
  });
});

describe("parsePingRtts", () => {
  it("reads every reply of the recorded run in µs, not the summary lines", () => {
    const rtts = parsePingRtts(fixture("ping-loopback-50.txt"));
    expect(rtts).toHaveLength(50);
    // icmp_seq=1 time=1.31 ms, icmp_seq=2 time=0.043 ms, icmp_seq=50 time=0.040 ms
    expect(rtts.slice(0, 2)).toEqual([1310, 43]);
    expect(rtts[49]).toBe(40);
  });

  it("leaves out duplicate replies and reads whole-millisecond times", () => {
    const text = [
      "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.512 ms",
      "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.530 ms (DUP!)",
      "64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=1021 ms",
    ].join("\n");
    expect(parsePingRtts(text)).toEqual([512, 1021000]);
  });
});

describe("percentiles (nearest rank)", () => {
  it("p99 of 100 samples is the 99th smallest, not the largest", () => {
    // 1..100 in a scrambled order: sorting is the function's job
    const samples = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    expect(percentiles(samples)).toEqual({ p50: 50, p99: 99, max: 100 });
  });

  it("rounds the rank up on small samples", () => {
    // ranks: p50 = ceil(1.5) = 2nd, p99 = ceil(2.97) = 3rd
    expect(percentiles([30, 10, 20])).toEqual({ p50: 20, p99: 30, max: 30 });
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    percentiles(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it("on the recorded ping run: one slow first reply is the p99 of 50", () => {
    // sorted, the 25th reply is 0.042 ms; the 50th (ceil(49.5)) is the first, 1.31 ms
    expect(percentiles(parsePingRtts(fixture("ping-loopback-50.txt")))).toEqual({ p50: 42, p99: 1310, max: 1310 });
  });

  it("throws on an empty sample", () => {
    expect(() => percentiles([])).toThrow(/empty sample/);
  });
});

describe("parsePingPong", () => {
  it("-rw: the last rate and the data increment (recorded: 'data increment = 1\\n', rates ended by \\r)", () => {
    const text = fixture("ping_pong-rw.txt");
    expect(text).toContain("\r");
    // "  315801 locks/sec\r  509970 locks/sec\r"
    expect(parsePingPong(text)).toEqual({ locksPerSec: 509970, dataIncrement: 1 });
  });

  it("without -rw: the last rate, no increment (recorded)", () => {
    // " 1043761 locks/sec\r 1050615 locks/sec\r"
    expect(parsePingPong(fixture("ping_pong-locks.txt"))).toEqual({ locksPerSec: 1050615, dataIncrement: undefined });
  });

  it("keeps the last increment once a second node joins, and ignores a rate cut off mid-write", () => {
    const text = "data increment = 1\n  900000 locks/sec\rdata increment = 2\n    1830 locks/sec\r    17";
    expect(parsePingPong(text)).toEqual({ locksPerSec: 1830, dataIncrement: 2 });
  });

  it("throws, quoting the output, when ping_pong printed no rate", () => {
    expect(() => parsePingPong("lock at 1 failed! - Resource deadlock avoided\n")).toThrow(
      /ping_pong printed no rate .*lock at 1 failed/,
    );
    expect(() => parsePingPong("")).toThrow(/ping_pong printed no rate/);
  });
});
