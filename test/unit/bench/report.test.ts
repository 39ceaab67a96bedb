import { describe, expect, it } from "vitest";
import { formatTable, formatValue, ratios, reportJson } from "../../../src/bench/report.js";
import type { BenchReport, Figure, Ratio } from "../../../src/bench/types.js";
import { FIGURES, figure, sampleReport as report } from "./sample-report.js";

function byKey(list: Ratio[]): Map<string, Ratio> {
  return new Map(list.map((r) => [r.key, r]));
}

function without(...keys: string[]): Figure[] {
  return FIGURES.filter((f) => !keys.includes(f.key));
}

function replaced(key: string, value: number): Figure[] {
  return FIGURES.map((f) => (f.key === key ? { ...f, value } : f));
}

describe("ratios", () => {
  it("forms every ratio from a full run, in a fixed order, with its target", () => {
    const list = ratios(FIGURES);
    expect(list.map((r) => r.key)).toEqual([
      "ratio.seq_write_vs_ceiling",
      "ratio.drbd_write_vs_ceiling",
      "ratio.gfs2_vs_drbd_write",
      "overhead.qd1_write",
      "ratio.two_node_read",
      "ratio.two_node_write",
      "ratio.shared_vs_separate_write",
      "ratio.meta_shared_vs_private",
      "ratio.pingpong_two_vs_one",
    ]);
    const r = byKey(list);
    // The ceiling is min(900 disk, 1120.4 link) = 900.
    expect(r.get("ratio.seq_write_vs_ceiling")?.value).toBeCloseTo(810 / 900, 12);
    expect(r.get("ratio.drbd_write_vs_ceiling")?.value).toBeCloseTo(850 / 900, 12);
    expect(r.get("ratio.gfs2_vs_drbd_write")?.value).toBeCloseTo(810 / 850, 12);
    expect(r.get("overhead.qd1_write")?.value).toBeCloseTo(320.4 - (60 + 180), 12);
    expect(r.get("ratio.two_node_read")?.value).toBeCloseTo(3600 / 1900, 12);
    expect(r.get("ratio.two_node_write")?.value).toBeCloseTo(880 / 810, 12);
    expect(r.get("ratio.shared_vs_separate_write")?.value).toBeCloseTo(95 / 880, 12);
    expect(r.get("ratio.meta_shared_vs_private")?.value).toBeCloseTo(2300 / 4200, 12);
    expect(r.get("ratio.pingpong_two_vs_one")?.value).toBeCloseTo(1200 / 850000, 12);

    expect(Object.fromEntries(list.map((x) => [x.key, x.target]))).toEqual({
      "ratio.seq_write_vs_ceiling": 1,
      "ratio.drbd_write_vs_ceiling": 1,
      "ratio.gfs2_vs_drbd_write": 1,
      "overhead.qd1_write": 0,
      "ratio.two_node_read": 2,
      // The disk (900) is slower than the link, so a second writer cannot add anything.
      "ratio.two_node_write": 1,
      "ratio.shared_vs_separate_write": 1,
      "ratio.meta_shared_vs_private": 1,
      "ratio.pingpong_two_vs_one": 1,
    });
  });

  it("marks the QD1 latency as an overhead in µs and every other comparison as a ratio", () => {
    const r = byKey(ratios(FIGURES));
    expect(r.get("overhead.qd1_write")).toMatchObject({ kind: "overhead", unit: "us", formula: "gfs2.a.qd1_write_p50 - (raw.qd1_write_p50 + link.rtt_p50)" });
    const others = [...r.values()].filter((x) => x.key !== "overhead.qd1_write");
    expect(others.every((x) => x.kind === "ratio" && x.unit === "x")).toBe(true);
    expect(r.get("ratio.seq_write_vs_ceiling")?.formula).toBe("gfs2.a.seq_write / min(raw.write, link.tcp)");
    expect(r.get("ratio.two_node_write")?.formula).toBe("gfs2.ab.seq_write / gfs2.a.seq_write");
    expect(new Set([...r.values()].map((x) => x.label)).size).toBe(r.size);
  });

  it.each([
    // [disk, link, target]: two writers are bound by min(disk, 2 × link) against min(disk, link)
    [2000, 110, 2],
    [300, 200, 1.5],
    [900, 1120.4, 1],
  ])("aims two-node writes at min(disk, 2 × link) / min(disk, link) with disk %d and link %d", (disk, link, target) => {
    const figures = replaced("link.tcp", link).map((f) => (f.key === "raw.write" ? { ...f, value: disk } : f));
    expect(byKey(ratios(figures)).get("ratio.two_node_write")?.target).toBeCloseTo(target, 12);
  });

  it.each([
    ["ratio.seq_write_vs_ceiling", ["gfs2.a.seq_write", "raw.write", "link.tcp"]],
    ["ratio.drbd_write_vs_ceiling", ["drbd.write", "raw.write", "link.tcp"]],
    ["ratio.gfs2_vs_drbd_write", ["gfs2.a.seq_write", "drbd.write"]],
    ["overhead.qd1_write", ["gfs2.a.qd1_write_p50", "raw.qd1_write_p50", "link.rtt_p50"]],
    ["ratio.two_node_read", ["gfs2.ab.seq_read", "gfs2.a.seq_read"]],
    ["ratio.two_node_write", ["gfs2.ab.seq_write", "gfs2.a.seq_write", "raw.write", "link.tcp"]],
    ["ratio.shared_vs_separate_write", ["gfs2.shared.seq_write", "gfs2.ab.seq_write"]],
    ["ratio.meta_shared_vs_private", ["meta.shared", "meta.private"]],
    ["ratio.pingpong_two_vs_one", ["pingpong.two", "pingpong.one"]],
  ])("leaves out %s when any of its inputs is missing", (key, inputs) => {
    for (const input of inputs) {
      const keys = ratios(without(input)).map((r) => r.key);
      expect(keys, `without ${input}`).not.toContain(key);
    }
    expect(ratios(FIGURES).map((r) => r.key)).toContain(key);
  });

  it("keeps the ratios whose inputs are there when others are missing", () => {
    // GIVEN a run without the optional DRBD scratch volume
    const keys = ratios(without("drbd.write")).map((r) => r.key);
    // THEN only the two DRBD comparisons are gone
    expect(keys).toEqual([
      "ratio.seq_write_vs_ceiling",
      "overhead.qd1_write",
      "ratio.two_node_read",
      "ratio.two_node_write",
      "ratio.shared_vs_separate_write",
      "ratio.meta_shared_vs_private",
      "ratio.pingpong_two_vs_one",
    ]);
    expect(ratios([])).toEqual([]);
  });

  it.each([
    ["gfs2.a.seq_read", "ratio.two_node_read"],
    ["drbd.write", "ratio.gfs2_vs_drbd_write"],
    ["meta.private", "ratio.meta_shared_vs_private"],
    ["pingpong.one", "ratio.pingpong_two_vs_one"],
    ["raw.write", "ratio.seq_write_vs_ceiling"],
    ["raw.write", "ratio.two_node_write"],
  ])("leaves a ratio out rather than divide by a zero %s", (zeroed, key) => {
    const list = ratios(replaced(zeroed, 0));
    expect(list.map((r) => r.key)).not.toContain(key);
    expect(list.every((r) => Number.isFinite(r.value) && Number.isFinite(r.target))).toBe(true);
  });

  it("takes the later of two figures with one key", () => {
    const figures = [...FIGURES, figure("meta.shared", "re-measured", 4200, "ops/s")];
    expect(byKey(ratios(figures)).get("ratio.meta_shared_vs_private")?.value).toBe(1);
  });
});

describe("formatValue", () => {
  it.each([
    [1120.44, "MiB/s", "1,120.4"],
    [41234.6, "IOPS", "41,235"],
    [320.4, "us", "320"],
    [850000, "locks/s", "850,000"],
    [2, "count", "2"],
    [0.9, "x", "0.90"],
    [1200 / 850000, "x", "0.0014"],
    [0, "x", "0.00"],
    [-19.6, "us", "-20"],
  ] as const)("prints %d %s as %s", (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});

describe("formatTable", () => {
  const table = formatTable(report());
  const lines = table.split("\n");

  it("opens with the cluster, the node roles and the run's timing", () => {
    expect(lines[0]).toBe("gfsdeploy bench: cluster alpha, filesystem gfs2data on /srv/gfs2");
    expect(lines[1]).toBe("nodes a = node1, b = node2; started 2025-05-01T10:00:00.000Z, took 912 s, 30 s per measured job");
  });

  it("has the sections in the order the run measured them", () => {
    const titles = lines.filter((l) => l !== "" && !l.startsWith(" ") && !l.startsWith("gfsdeploy") && !l.startsWith("nodes "));
    expect(titles).toEqual(["Baselines", "GFS2 per scenario", "Coherence", "Locks", "Metadata", "Ratios", "Checks"]);
  });

  it("prints each figure with its precision, unit and source", () => {
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Replication link, one TCP stream +1,120\.4 {2}MiB\/s +10\.0\.0\.1 -> 10\.0\.0\.2$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Backing device read +2,100\.3 {2}MiB\/s +\/dev\/vg0\/data$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}GFS2 random 4 KiB IOPS, node A alone +41,235 {2}IOPS$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}GFS2 QD1 4 KiB write p50, node A +320 {2}µs$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Write seen on the other node p99 +180,000 {2}µs$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}ping_pong, one node +850,000 {2}locks\/s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Create\/stat\/unlink, one shared directory +2,300 {2}ops\/s$/));
  });

  it("right-aligns the values of every figure section in one column", () => {
    const figureRows = lines.slice(0, lines.indexOf("Ratios")).filter((l) => l.startsWith("  "));
    expect(figureRows).toHaveLength(FIGURES.length);
    const valueEnds = new Set(figureRows.map((l) => /^ {2}.+?\s{2,}(\S+)(?= {2}\S)/.exec(l)).map((m) => (m?.index ?? 0) + (m?.[0].length ?? 0)));
    expect(valueEnds.size).toBe(1);
  });

  it("lists GFS2 figures scenario by scenario: A, B, A+B, shared", () => {
    const gfs2 = lines.slice(lines.indexOf("GFS2 per scenario") + 1, lines.indexOf("Coherence") - 1).map((l) => l.trim().split(/ {2,}/)[0]);
    expect(gfs2).toEqual([
      "GFS2 sequential read, node A alone",
      "GFS2 sequential write, node A alone",
      "GFS2 random 4 KiB IOPS, node A alone",
      "GFS2 QD1 4 KiB write p50, node A",
      "GFS2 QD1 4 KiB write p99, node A",
      "GFS2 fsync p50, node A",
      "GFS2 fsync p99, node A",
      "GFS2 sequential write, node B alone",
      "GFS2 sequential read, A+B separate files",
      "GFS2 sequential write, A+B separate files",
      "GFS2 sequential write, A+B one file",
    ]);
  });

  it("prints each ratio with two decimals, its target and formula, and the overhead in µs", () => {
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}GFS2 write vs min\(disk, link\) +0\.90 {2}× +target 1\.00 {2}gfs2\.a\.seq_write \/ min\(raw\.write, link\.tcp\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Read, two nodes vs one +1\.89 {2}× +target 2\.00 {2}gfs2\.ab\.seq_read \/ gfs2\.a\.seq_read$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}ping_pong, two nodes vs one +0\.0014 {2}× +target 1\.00 {2}pingpong\.two \/ pingpong\.one$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}QD1 write above disk \+ RTT +80 {2}µs +target 0 {2}gfs2\.a\.qd1_write_p50 - \(raw\.qd1_write_p50 \+ link\.rtt_p50\)$/));
  });

  it("shows each check as PASS or FAIL with its detail", () => {
    expect(lines).toContain("  PASS  pingpong.increment  data increment = 2 (one per node)");
    expect(lines).toContain("  FAIL  glock.hold          demote_secs 300 is above 200 ms; see notes");
  });

  it("is plain text: no colour escapes, no trailing blanks, one final newline", () => {
    expect(table).not.toContain("\u001b");
    expect(lines.filter((l) => l !== l.trimEnd())).toEqual([]);
    expect(table.endsWith("\n")).toBe(true);
    expect(table.endsWith("\n\n")).toBe(false);
  });

  it("leaves out empty sections and keeps unknown figures under Other", () => {
    const partial = { ...report([figure("raw.read", "Backing device read", 2100, "MiB/s"), figure("glock.bounces", "Glock demotions", 12, "count")]), checks: [] };
    const text = formatTable(partial);
    expect(text).toContain("\nBaselines\n");
    expect(text).toContain("\nOther\n  Glock demotions");
    for (const absent of ["GFS2 per scenario", "Coherence", "Locks", "Metadata", "Ratios", "Checks"]) {
      expect(text).not.toContain(`\n${absent}\n`);
    }
  });
});

describe("reportJson", () => {
  it("writes the report with two-space indents and a final newline, and reads back equal", () => {
    const r = report();
    const text = reportJson(r);
    expect(text).toMatch(/^\{\n {2}"schema": "gfsdeploy-bench\/1",\n {2}"cluster": "alpha",\n/);
    expect(text.endsWith("}\n")).toBe(true);
    expect(JSON.parse(text)).toEqual(r);
  });

  it("orders keys as the type does, whatever order the object was built in", () => {
    const r = report();
    const scrambled = Object.fromEntries(Object.entries(r).reverse()) as unknown as BenchReport;
    scrambled.figures = r.figures.map((f) => Object.fromEntries(Object.entries(f).reverse()) as unknown as Figure);
    scrambled.ratios = r.ratios.map((x) => Object.fromEntries(Object.entries(x).reverse()) as unknown as Ratio);
    const text = reportJson(scrambled);
    expect(text).toBe(reportJson(r));
    const top = Object.keys(JSON.parse(text) as object);
    expect(top).toEqual(["schema", "cluster", "filesystem", "mountpoint", "nodes", "startedAt", "elapsedSeconds", "durationSeconds", "spec", "versions", "figures", "ratios", "checks"]);
    const parsed = JSON.parse(text) as BenchReport;
    expect(Object.keys(parsed.figures[0] ?? {})).toEqual(["key", "label", "value", "unit", "source"]);
    expect(Object.keys(parsed.ratios[0] ?? {})).toEqual(["key", "label", "kind", "value", "target", "unit", "formula"]);
    expect(Object.keys(parsed.versions.node1 ?? {})).toEqual(["kernel", "drbd", "gfs2Utils", "pacemaker", "corosync"]);
  });

  it("lists versions in node-role order, then other hosts by name", () => {
    const r = report();
    r.versions = { zed: r.versions.node1!, node2: r.versions.node2!, arbiter: r.versions.node1!, node1: r.versions.node1! };
    expect(Object.keys((JSON.parse(reportJson(r)) as BenchReport).versions)).toEqual(["node1", "node2", "arbiter", "zed"]);
  });

  it("omits a figure's source when it has none", () => {
    const parsed = JSON.parse(reportJson(report())) as BenchReport;
    expect(parsed.figures.find((f) => f.key === "raw.write")).not.toHaveProperty("source");
    expect(parsed.figures.find((f) => f.key === "raw.read")).toHaveProperty("source", "/dev/vg0/data");
  });
});
