import { describe, expect, it } from "vitest";

import { combine, fioArgs, workloadFigures, WORKLOADS } from "../../../src/bench/workloads.js";
import { parseDuration } from "../../../src/cli/bench.js";
import type { FioSummary } from "../../../src/bench/types.js";

const nodeA: FioSummary = { readMibs: 100, writeMibs: 40, readIops: 1000, writeIops: 500, writeLat: { p50: 300, p99: 900, max: 2000 } };
const nodeB: FioSummary = { readMibs: 90, writeMibs: 35, readIops: 800, writeIops: 400, writeLat: { p50: 350, p99: 800, max: 5000 }, syncLat: { p50: 1000, p99: 3000, max: 4000 } };

describe("bench workloads", () => {
  it("two nodes at once: throughput and IOPS add up, each latency is the worse node's", () => {
    const both = combine(nodeA, nodeB);
    expect([both.readMibs, both.writeMibs, both.readIops, both.writeIops]).toEqual([190, 75, 1800, 900]);
    expect(both.writeLat).toEqual({ p50: 350, p99: 900, max: 5000 });
    // Only B synced: the combined sync latency is B's, not dropped.
    expect(both.syncLat).toEqual(nodeB.syncLat);
    expect(both.readLat).toBeUndefined();
  });

  it("fio runs time-based with a discarded ramp and prints JSON", () => {
    const args = fioArgs("seq_write", "/srv/data/.gfsdeploy-bench-x/a.dat", 256, 10, WORKLOADS.seq_write.options);
    expect(args).toEqual(expect.arrayContaining(["--filename=/srv/data/.gfsdeploy-bench-x/a.dat", "--size=256M", "--time_based", "--runtime=10", "--ramp_time=1", "--output-format=json", "--direct=1", "--rw=write", "--bs=1M"]));
  });

  it("names figures by scenario and leaves out what the job did not measure", () => {
    const keys = (s: FioSummary) => workloadFigures("ab", "qd1_write", s, "test").map((f) => `${f.key}=${f.value}`);
    expect(keys(nodeA)).toEqual(["gfs2.ab.qd1_write_p50=300", "gfs2.ab.qd1_write_p99=900"]);
    expect(workloadFigures("a", "fsync", nodeA, "test")).toEqual([]);
    expect(workloadFigures("shared", "rand_iops", nodeA, "test")[0]).toMatchObject({ key: "gfs2.shared.rand_iops", value: 1500, unit: "IOPS", label: "GFS2 random 4 KiB read/write, both nodes, one shared file (sum)" });
    expect(workloadFigures("ab", "qd1_write", nodeA, "test")[0]?.label).toBe("GFS2 4 KiB write latency QD1, p50, both nodes, separate files (worse node)");
    expect(workloadFigures("a", "seq_read", nodeA, "test")[0]?.label).toBe("GFS2 sequential 1 MiB read, node A alone");
  });

  it("reads --duration as seconds or minutes, within 3 s to 10 min", () => {
    expect(parseDuration("30s")).toBe(30);
    expect(parseDuration("2m")).toBe(120);
    expect(parseDuration("15")).toBe(15);
    for (const bad of ["1s", "11m", "ten", "5h", ""]) expect(() => parseDuration(bad), bad).toThrow(/not a duration/);
  });
});
