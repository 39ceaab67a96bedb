/**
 * The benchmark's report: figures compared with their physical limits, a terminal table and
 * the JSON file. Absolute MiB/s mean little across machines, so every comparison here is a
 * ratio to a baseline measured in the same run (see notes/bench.md). Pure: no I/O, no clock.
 */

import type { StackVersions } from "../probes/node.js";
import type { BenchReport, Figure, Ratio } from "./types.js";

type Values = ReadonlyMap<string, number>;

/** What a ratio is; the value and target come from the figures. */
interface RatioName {
  key: string;
  label: string;
  formula: string;
}

/**
 * numerator / denominator as a ratio, or undefined when either figure was not measured or
 * the denominator is zero (a ratio of Infinity helps nobody read the table).
 */
function ratio(name: RatioName, numerator: number | undefined, denominator: number | undefined, target: number): Ratio | undefined {
  if (numerator === undefined || denominator === undefined || denominator === 0) return undefined;
  return { ...name, kind: "ratio", value: numerator / denominator, target, unit: "x" };
}

/**
 * Protocol C cannot write faster than the slower of the backing disk and the replication
 * link, so that minimum is the ceiling single-node writes are measured against.
 */
function writeCeiling(v: Values): number | undefined {
  const disk = v.get("raw.write");
  const link = v.get("link.tcp");
  return disk === undefined || link === undefined ? undefined : Math.min(disk, link);
}

/**
 * Two nodes writing separate files: each disk absorbs both nodes' writes while each
 * direction of the link carries one node's, so the aggregate gains only until the disk is
 * the bottleneck. Without both baselines there is no target, and so no ratio.
 */
function twoNodeWriteTarget(v: Values): number | undefined {
  const disk = v.get("raw.write");
  const link = v.get("link.tcp");
  if (disk === undefined || link === undefined || Math.min(disk, link) === 0) return undefined;
  return Math.min(disk, 2 * link) / Math.min(disk, link);
}

/**
 * Latency a GFS2 4 KiB QD1 write spends above its floor: Protocol C acknowledges a write once
 * the local disk and the peer have it, so the floor is a disk write plus one round trip.
 */
function qd1Overhead(v: Values): Ratio | undefined {
  const gfs2 = v.get("gfs2.a.qd1_write_p50");
  const disk = v.get("raw.qd1_write_p50");
  const rtt = v.get("link.rtt_p50");
  if (gfs2 === undefined || disk === undefined || rtt === undefined) return undefined;
  return {
    key: "overhead.qd1_write",
    label: "QD1 write above disk + RTT",
    kind: "overhead",
    value: gfs2 - (disk + rtt),
    target: 0,
    unit: "us",
    formula: "gfs2.a.qd1_write_p50 - (raw.qd1_write_p50 + link.rtt_p50)",
  };
}

/** Every comparison the report knows, in the order the table and chart show them. */
const RATIO_RULES: ((v: Values) => Ratio | undefined)[] = [
  (v) =>
    ratio(
      { key: "ratio.seq_write_vs_ceiling", label: "GFS2 write vs min(disk, link)", formula: "gfs2.a.seq_write / min(raw.write, link.tcp)" },
      v.get("gfs2.a.seq_write"),
      writeCeiling(v),
      1,
    ),
  (v) =>
    ratio(
      { key: "ratio.drbd_write_vs_ceiling", label: "DRBD write vs min(disk, link)", formula: "drbd.write / min(raw.write, link.tcp)" },
      v.get("drbd.write"),
      writeCeiling(v),
      1,
    ),
  (v) =>
    ratio(
      { key: "ratio.gfs2_vs_drbd_write", label: "GFS2 write vs DRBD write", formula: "gfs2.a.seq_write / drbd.write" },
      v.get("gfs2.a.seq_write"),
      v.get("drbd.write"),
      1,
    ),
  qd1Overhead,
  // Reads are served by each node's own disk, so two readers can double the aggregate.
  (v) =>
    ratio(
      { key: "ratio.two_node_read", label: "Read, two nodes vs one", formula: "gfs2.ab.seq_read / gfs2.a.seq_read" },
      v.get("gfs2.ab.seq_read"),
      v.get("gfs2.a.seq_read"),
      2,
    ),
  (v) => {
    const target = twoNodeWriteTarget(v);
    if (target === undefined) return undefined;
    return ratio(
      { key: "ratio.two_node_write", label: "Write, two nodes vs one", formula: "gfs2.ab.seq_write / gfs2.a.seq_write" },
      v.get("gfs2.ab.seq_write"),
      v.get("gfs2.a.seq_write"),
      target,
    );
  },
  (v) =>
    ratio(
      { key: "ratio.shared_vs_separate_write", label: "Write, one shared file vs separate", formula: "gfs2.shared.seq_write / gfs2.ab.seq_write" },
      v.get("gfs2.shared.seq_write"),
      v.get("gfs2.ab.seq_write"),
      1,
    ),
  (v) =>
    ratio(
      { key: "ratio.meta_shared_vs_private", label: "Metadata, shared dir vs private", formula: "meta.shared / meta.private" },
      v.get("meta.shared"),
      v.get("meta.private"),
      1,
    ),
  (v) =>
    ratio(
      { key: "ratio.pingpong_two_vs_one", label: "ping_pong, two nodes vs one", formula: "pingpong.two / pingpong.one" },
      v.get("pingpong.two"),
      v.get("pingpong.one"),
      1,
    ),
];

/**
 * Every comparison whose inputs were measured, in a fixed order. When a key occurs twice
 * the later figure counts, as a re-measurement would.
 */
export function ratios(figures: Figure[]): Ratio[] {
  const values: Values = new Map(figures.map((f) => [f.key, f.value]));
  return RATIO_RULES.map((rule) => rule(values)).filter((r): r is Ratio => r !== undefined);
}

// --- terminal table ---------------------------------------------------------------------

/** Fixed locale, so the table reads the same on every machine. */
const formats = new Map<string, Intl.NumberFormat>();

function formatWith(value: number, options: Intl.NumberFormatOptions): string {
  const id = JSON.stringify(options);
  let format = formats.get(id);
  if (format === undefined) {
    format = new Intl.NumberFormat("en-US", options);
    formats.set(id, format);
  }
  return format.format(value);
}

function fixed(value: number, decimals: number): string {
  return formatWith(value, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/**
 * A value as the table and the chart print it, without its unit: bandwidth to a tenth of a
 * MiB/s, counts and microseconds whole, ratios to two decimals, except a ratio so small that
 * two decimals would read 0.00 (two-node ping_pong against one node), which keeps two
 * significant digits.
 */
export function formatValue(value: number, unit: Figure["unit"] | Ratio["unit"]): string {
  switch (unit) {
    case "MiB/s":
      return fixed(value, 1);
    case "x":
      return value !== 0 && Math.abs(value) < 0.005 ? formatWith(value, { maximumSignificantDigits: 2 }) : fixed(value, 2);
    default:
      return fixed(value, 0);
  }
}

function unitText(unit: Figure["unit"] | Ratio["unit"]): string {
  switch (unit) {
    case "us":
      return "µs";
    case "x":
      return "×";
    default:
      return unit;
  }
}

interface Section {
  title: string;
  rows: string[][];
}

/** Pads every column to its widest cell across all sections, so sections line up too. */
function renderSections(sections: Section[], rightAligned: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const { rows } of sections) {
    for (const row of rows) {
      row.forEach((cell, i) => {
        widths[i] = Math.max(widths[i] ?? 0, cell.length);
      });
    }
  }
  const lines: string[] = [];
  for (const { title, rows } of sections) {
    lines.push("", title);
    for (const row of rows) {
      const cells = row.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)));
      lines.push(`  ${cells.join("  ")}`.trimEnd());
    }
  }
  return lines;
}

/** Figure sections by key prefix; a figure matching none lands in "Other" so none is lost. */
const FIGURE_SECTIONS: { title: string; prefixes: string[] }[] = [
  { title: "Baselines", prefixes: ["link.", "raw.", "drbd."] },
  { title: "GFS2 per scenario", prefixes: ["gfs2."] },
  { title: "Coherence", prefixes: ["coherence."] },
  { title: "Locks", prefixes: ["pingpong."] },
  { title: "Metadata", prefixes: ["meta."] },
];

/** Scenarios in the order they ran: each node alone, then both at once. */
const SCENARIO_ORDER = ["a", "b", "ab", "shared"];

function scenarioRank(key: string): number {
  const rank = SCENARIO_ORDER.indexOf(key.split(".")[1] ?? "");
  return rank === -1 ? SCENARIO_ORDER.length : rank;
}

function figureSections(figures: Figure[]): Section[] {
  const byTitle = new Map<string, Figure[]>();
  for (const { title } of FIGURE_SECTIONS) byTitle.set(title, []);
  byTitle.set("Other", []);
  for (const figure of figures) {
    const title = FIGURE_SECTIONS.find((s) => s.prefixes.some((p) => figure.key.startsWith(p)))?.title ?? "Other";
    byTitle.get(title)?.push(figure);
  }
  // Array.prototype.sort is stable: within a scenario the runner's order stays.
  byTitle.get("GFS2 per scenario")?.sort((x, y) => scenarioRank(x.key) - scenarioRank(y.key));
  return [...byTitle]
    .filter(([, list]) => list.length > 0)
    .map(([title, list]) => ({
      title,
      rows: list.map((f) => [f.label, formatValue(f.value, f.unit), unitText(f.unit), f.source ?? ""]),
    }));
}

function ratioSection(list: Ratio[]): Section {
  return {
    title: "Ratios",
    rows: list.map((r) => [r.label, formatValue(r.value, r.unit), unitText(r.unit), `target ${formatValue(r.target, r.unit)}`, r.formula]),
  };
}

function checkSection(checks: BenchReport["checks"]): Section {
  return { title: "Checks", rows: checks.map((c) => [c.passed ? "PASS" : "FAIL", c.name, c.detail]) };
}

/** The figure keys' node roles with the nodes that played them: `a = node1, b = node2`. */
export function nodeRoles(nodes: string[]): string {
  return nodes.map((node, i) => `${String.fromCharCode("a".charCodeAt(0) + i)} = ${node}`).join(", ");
}

/** The human table: a header, then one section per stage of the run; empty sections are left out. */
export function formatTable(report: BenchReport): string {
  const lines = [
    `gfsdeploy bench: cluster ${report.cluster}, filesystem ${report.filesystem} on ${report.mountpoint}`,
    `nodes ${nodeRoles(report.nodes)}; started ${report.startedAt}, took ${fixed(report.elapsedSeconds, 0)} s, ${fixed(report.durationSeconds, 0)} s per measured job`,
  ];
  lines.push(...renderSections(figureSections(report.figures), new Set([1])));
  if (report.ratios.length > 0) lines.push(...renderSections([ratioSection(report.ratios)], new Set([1, 3])));
  if (report.checks.length > 0) lines.push(...renderSections([checkSection(report.checks)], new Set()));
  return `${lines.join("\n")}\n`;
}

// --- JSON -------------------------------------------------------------------------------

function orderedVersions(v: StackVersions): StackVersions {
  return { kernel: v.kernel, drbd: v.drbd, gfs2Utils: v.gfs2Utils, pacemaker: v.pacemaker, corosync: v.corosync };
}

/**
 * The report as the JSON file holds it. Keys follow the type's order whatever order the
 * object was built in, so two runs diff line by line; versions follow the node roles, then
 * any other host by name. Ends with a newline, as a text file should.
 */
export function reportJson(report: BenchReport): string {
  const rank = (host: string) => {
    const role = report.nodes.indexOf(host);
    return role === -1 ? report.nodes.length : role;
  };
  const versions = Object.entries(report.versions).sort(([x], [y]) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
  const ordered: BenchReport = {
    schema: report.schema,
    cluster: report.cluster,
    filesystem: report.filesystem,
    mountpoint: report.mountpoint,
    nodes: report.nodes,
    startedAt: report.startedAt,
    elapsedSeconds: report.elapsedSeconds,
    durationSeconds: report.durationSeconds,
    spec: report.spec,
    versions: Object.fromEntries(versions.map(([host, v]) => [host, orderedVersions(v)])),
    figures: report.figures.map((f) => ({ key: f.key, label: f.label, value: f.value, unit: f.unit, source: f.source })),
    ratios: report.ratios.map((r) => ({ key: r.key, label: r.label, kind: r.kind, value: r.value, target: r.target, unit: r.unit, formula: r.formula })),
    checks: report.checks.map((c) => ({ name: c.name, passed: c.passed, detail: c.detail })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
