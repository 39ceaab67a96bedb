import type { Figure, FioSummary, Unit } from "./types.js";

export type WorkloadName = "seq_read" | "seq_write" | "rand_iops" | "qd1_write" | "fsync";

interface Workload {
  label: string;
  /** fio options beyond file, size and timing. */
  options: string[];
  /** The figures this workload yields, from one (or the sum of two nodes') fio summary. */
  figures: (s: FioSummary) => { suffix: string; label: string; value: number | undefined; unit: Unit }[];
}

const direct = ["--direct=1", "--ioengine=libaio"];

/**
 * The GFS2 data-path workloads of bench.md: throughput with some queue depth, IOPS at a
 * total depth of 16, then the latencies an application feels at depth 1 and on fsync.
 */
export const WORKLOADS: Record<WorkloadName, Workload> = {
  seq_read: {
    label: "sequential 1 MiB read",
    options: [...direct, "--rw=read", "--bs=1M", "--iodepth=8"],
    figures: (s) => [{ suffix: "seq_read", label: "sequential 1 MiB read", value: s.readMibs, unit: "MiB/s" }],
  },
  seq_write: {
    label: "sequential 1 MiB write",
    options: [...direct, "--rw=write", "--bs=1M", "--iodepth=8"],
    figures: (s) => [{ suffix: "seq_write", label: "sequential 1 MiB write", value: s.writeMibs, unit: "MiB/s" }],
  },
  rand_iops: {
    label: "random 4 KiB read/write IOPS (QD16)",
    options: [...direct, "--rw=randrw", "--bs=4k", "--iodepth=16"],
    figures: (s) => [{ suffix: "rand_iops", label: "random 4 KiB read/write", value: s.readIops + s.writeIops, unit: "IOPS" }],
  },
  qd1_write: {
    label: "random 4 KiB write latency (QD1)",
    options: [...direct, "--rw=randwrite", "--bs=4k", "--iodepth=1"],
    figures: (s) => [
      { suffix: "qd1_write_p50", label: "4 KiB write latency QD1, p50", value: s.writeLat?.p50, unit: "us" },
      { suffix: "qd1_write_p99", label: "4 KiB write latency QD1, p99", value: s.writeLat?.p99, unit: "us" },
    ],
  },
  fsync: {
    label: "4 KiB write + fsync latency",
    // Buffered writes, each followed by fsync: the journal flush GFS2 applications wait for.
    options: ["--ioengine=sync", "--rw=write", "--bs=4k", "--fsync=1"],
    figures: (s) => [
      { suffix: "fsync_p50", label: "fsync latency, p50", value: s.syncLat?.p50, unit: "us" },
      { suffix: "fsync_p99", label: "fsync latency, p99", value: s.syncLat?.p99, unit: "us" },
    ],
  },
};

/** fio's argv for one time-based run; the first second is ramp time, left out of the figures. */
export function fioArgs(name: string, file: string, sizeMib: number, seconds: number, options: readonly string[]): string[] {
  return [`--name=${name}`, `--filename=${file}`, `--size=${sizeMib}M`, ...options, "--time_based", `--runtime=${seconds}`, "--ramp_time=1", "--output-format=json"];
}

/** Lays a file out in full before it is measured: the discarded first pass. */
export function layoutArgs(file: string, sizeMib: number): string[] {
  return ["--name=layout", `--filename=${file}`, `--size=${sizeMib}M`, ...direct, "--rw=write", "--bs=1M", "--iodepth=8", "--output-format=json"];
}

/** Two nodes running at once: throughput and IOPS add up, a latency is the worse node's. */
export function combine(a: FioSummary, b: FioSummary): FioSummary {
  const worse = (x?: FioSummary["readLat"], y?: FioSummary["readLat"]) =>
    x && y ? { p50: Math.max(x.p50, y.p50), p99: Math.max(x.p99, y.p99), max: Math.max(x.max, y.max) } : (x ?? y);
  return {
    readMibs: a.readMibs + b.readMibs,
    writeMibs: a.writeMibs + b.writeMibs,
    readIops: a.readIops + b.readIops,
    writeIops: a.writeIops + b.writeIops,
    readLat: worse(a.readLat, b.readLat),
    writeLat: worse(a.writeLat, b.writeLat),
    syncLat: worse(a.syncLat, b.syncLat),
  };
}

export type Scenario = "a" | "b" | "ab" | "shared";

export const SCENARIO_LABELS: Record<Scenario, string> = {
  a: "node A alone",
  b: "node B alone",
  ab: "both nodes, separate files",
  shared: "both nodes, one shared file",
};

/** The figures of one workload in one scenario, keyed `gfs2.<scenario>.<figure>`. */
export function workloadFigures(scenario: Scenario, workload: WorkloadName, summary: FioSummary, source: string): Figure[] {
  return WORKLOADS[workload]
    .figures(summary)
    .flatMap((f) => {
      if (f.value === undefined) return [];
      const combined = scenario === "ab" || scenario === "shared" ? (f.unit === "us" ? " (worse node)" : " (sum)") : "";
      return [{ key: `gfs2.${scenario}.${f.suffix}`, label: `GFS2 ${f.label}, ${SCENARIO_LABELS[scenario]}${combined}`, value: f.value, unit: f.unit, source }];
    });
}
