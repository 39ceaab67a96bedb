import { ratios } from "../../../src/bench/report.js";
import type { BenchReport, Figure } from "../../../src/bench/types.js";

/** Shared by the report and chart tests: one plausible run, so both judge the same numbers. */
export function figure(key: string, label: string, value: number, unit: Figure["unit"], source?: string): Figure {
  return source === undefined ? { key, label, value, unit } : { key, label, value, unit, source };
}

/** A plausible run: a 10 GbE link (1,120 MiB/s) in front of a disk that writes 900 MiB/s. */
export const FIGURES: Figure[] = [
  figure("link.tcp", "Replication link, one TCP stream", 1120.4, "MiB/s", "10.0.0.1 -> 10.0.0.2"),
  figure("link.rtt_p50", "Link round trip p50", 180, "us"),
  figure("link.rtt_p99", "Link round trip p99", 420, "us"),
  figure("raw.read", "Backing device read", 2100.25, "MiB/s", "/dev/vg0/data"),
  figure("raw.write", "Scratch area write", 900, "MiB/s"),
  figure("raw.qd1_write_p50", "Scratch QD1 4 KiB write p50", 60, "us"),
  figure("drbd.write", "DRBD scratch volume write", 850, "MiB/s"),
  figure("gfs2.ab.seq_read", "GFS2 sequential read, A+B separate files", 3600, "MiB/s"),
  figure("gfs2.a.seq_read", "GFS2 sequential read, node A alone", 1900, "MiB/s"),
  figure("gfs2.a.seq_write", "GFS2 sequential write, node A alone", 810, "MiB/s"),
  figure("gfs2.a.rand_iops", "GFS2 random 4 KiB IOPS, node A alone", 41234.6, "IOPS"),
  figure("gfs2.a.qd1_write_p50", "GFS2 QD1 4 KiB write p50, node A", 320.4, "us"),
  figure("gfs2.a.qd1_write_p99", "GFS2 QD1 4 KiB write p99, node A", 1400, "us"),
  figure("gfs2.a.fsync_p50", "GFS2 fsync p50, node A", 700, "us"),
  figure("gfs2.a.fsync_p99", "GFS2 fsync p99, node A", 2900, "us"),
  figure("gfs2.b.seq_write", "GFS2 sequential write, node B alone", 805, "MiB/s"),
  figure("gfs2.ab.seq_write", "GFS2 sequential write, A+B separate files", 880, "MiB/s"),
  figure("gfs2.shared.seq_write", "GFS2 sequential write, A+B one file", 95, "MiB/s"),
  figure("coherence.p50", "Write seen on the other node p50", 2300, "us"),
  figure("coherence.p99", "Write seen on the other node p99", 180000, "us"),
  figure("coherence.max", "Write seen on the other node max", 210000, "us"),
  figure("pingpong.one", "ping_pong, one node", 850000, "locks/s"),
  figure("pingpong.two", "ping_pong, both nodes", 1200, "locks/s"),
  figure("pingpong.increment", "ping_pong -rw data increment", 2, "count"),
  figure("meta.private", "Create/stat/unlink, per-node directories", 4200, "ops/s"),
  figure("meta.shared", "Create/stat/unlink, one shared directory", 2300, "ops/s"),
];

export function sampleReport(figures: Figure[] = FIGURES): BenchReport {
  return {
    schema: "gfsdeploy-bench/1",
    cluster: "alpha",
    filesystem: "gfs2data",
    mountpoint: "/srv/gfs2",
    nodes: ["node1", "node2"],
    startedAt: "2025-05-01T10:00:00.000Z",
    elapsedSeconds: 912.4,
    durationSeconds: 30,
    spec: { cluster: { name: "alpha" } },
    versions: {
      node2: { kernel: "6.1.0-21", drbd: "9.2.9", gfs2Utils: "3.5.0", pacemaker: "2.1.5", corosync: "3.1.7" },
      node1: { kernel: "6.1.0-21", drbd: "9.2.9", gfs2Utils: "3.5.0", pacemaker: "2.1.5", corosync: "3.1.7" },
    },
    figures,
    ratios: ratios(figures),
    checks: [
      { name: "pingpong.increment", passed: true, detail: "data increment = 2 (one per node)" },
      { name: "glock.hold", passed: false, detail: "demote_secs 300 is above 200 ms; see notes" },
    ],
  };
}
