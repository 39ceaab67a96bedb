/**
 * What `gfsdeploy bench` measures, as data shared by the parsers, the runner and the report.
 * Figure keys are stable: they are the JSON report's contract with whoever reads it later.
 */

import type { StackVersions } from "../probes/node.js";

export type Unit = "MiB/s" | "IOPS" | "us" | "ops/s" | "locks/s" | "count";

/** One measured number. */
export interface Figure {
  /** Stable dotted key, e.g. `gfs2.a.seq_write`, `link.rtt_p99`. */
  key: string;
  /** What a person reads in the table, e.g. "GFS2 sequential write, node A alone". */
  label: string;
  value: number;
  unit: Unit;
  /** Where the number came from when that matters to reading it (device, node, file). */
  source?: string;
}

/**
 * A figure compared with what the physics allows. `kind: "ratio"` is against `target`
 * (usually 1.0: at the ceiling); `kind: "overhead"` is a difference in `unit` above a floor.
 */
export interface Ratio {
  key: string;
  label: string;
  kind: "ratio" | "overhead";
  value: number;
  /** The ideal value (1.0 for "at the ceiling", 2.0 for "scales to two nodes"). */
  target: number;
  unit: "x" | "us";
  /** How the value was formed, e.g. "gfs2.a.seq_write / min(raw.write, link.tcp)". */
  formula: string;
}

/** Percentiles of a latency sample, microseconds. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** The parts of one fio job's JSON result the report uses. Bandwidths in MiB/s, latencies in µs. */
export interface FioSummary {
  readMibs: number;
  writeMibs: number;
  readIops: number;
  writeIops: number;
  /** Completion latency of reads/writes; undefined when the job did none of that direction. */
  readLat?: Latency;
  writeLat?: Latency;
  /** fsync/fdatasync latency (fio's `sync` section); undefined when the job did not sync. */
  syncLat?: Latency;
}

/** ping_pong's last report: lock (or lock+rw) rate and, with -rw, the observed data increment. */
export interface PingPongSummary {
  locksPerSec: number;
  /** From "data increment = N"; undefined when run without -rw. */
  dataIncrement?: number;
}

/** The whole result: what `--json FILE` writes (schema `gfsdeploy-bench/1`). */
export interface BenchReport {
  schema: "gfsdeploy-bench/1";
  cluster: string;
  filesystem: string;
  mountpoint: string;
  /** Node names in role order: `a` is nodes[0], `b` is nodes[1]. */
  nodes: string[];
  startedAt: string;
  elapsedSeconds: number;
  /** Seconds each measured fio job ran. */
  durationSeconds: number;
  /** The spec as validated (secret references only, never values). */
  spec: unknown;
  versions: Record<string, StackVersions>;
  figures: Figure[];
  ratios: Ratio[];
  /** Correctness gates the run checked, e.g. ping_pong data increment = number of nodes. */
  checks: { name: string; passed: boolean; detail: string }[];
}
