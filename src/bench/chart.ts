/**
 * The benchmark as a picture, for people who would rather look than read the table: each
 * ratio as a bar against its target, and the latencies that bound small synchronous I/O.
 * Drawn with vega-lite, rendered to an SVG string by vega's headless renderer: no browser,
 * no canvas, and no network (every value is inline and the loader refuses to fetch).
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { formatValue, nodeRoles } from "./report.js";
import type { BenchReport, Figure } from "./types.js";

/** What vega-lite accepts inside a vconcat; its own name for it is not a public export. */
type PanelSpec = Extract<TopLevelSpec, { vconcat: unknown }>["vconcat"][number];

/** Plot area of each panel; with the axis labels beside it the picture is about 800 px wide. */
const PLOT_WIDTH = 440;
const BAR_STEP = 26;
const LABEL_FONT_SIZE = 12;

/** How close a ratio came to its target, as the colour of its bar. */
const VERDICTS = [
  { name: "≥ 90 %", atLeast: 0.9, colour: "#4c9a2a" },
  { name: "50–90 %", atLeast: 0.5, colour: "#e0a030" },
  { name: "< 50 %", atLeast: -Infinity, colour: "#c8453a" },
] as const;

/** The latencies worth seeing side by side: the floor (RTT), then what sits on top of it. */
const LATENCIES: { label: string; p50: string; p99: string }[] = [
  { label: "Link RTT", p50: "link.rtt_p50", p99: "link.rtt_p99" },
  { label: "QD1 4 KiB write, node A", p50: "gfs2.a.qd1_write_p50", p99: "gfs2.a.qd1_write_p99" },
  { label: "fsync, node A", p50: "gfs2.a.fsync_p50", p99: "gfs2.a.fsync_p99" },
  { label: "Write seen on other node", p50: "coherence.p50", p99: "coherence.p99" },
];

const PERCENTILES = ["p50", "p99"] as const;
const PERCENTILE_COLOURS = ["#4a78b0", "#a9c6e8"];

function verdict(value: number, target: number): string {
  const attained = value / target;
  // NaN (0 ÷ 0) passes no threshold: it is as bad as the worst.
  return VERDICTS.find((v) => attained >= v.atLeast)?.name ?? VERDICTS[2].name;
}

function ratioPanel(report: BenchReport): PanelSpec | undefined {
  const rows = report.ratios
    .filter((r) => r.kind === "ratio")
    .map((r) => ({
      label: r.label,
      value: r.value,
      target: r.target,
      verdict: verdict(r.value, r.target),
      // The text sits right of whichever is further out, so it never covers the target tick.
      textAt: Math.max(r.value, r.target),
      text: `${formatValue(r.value, "x")} (target ${formatValue(r.target, "x")})`,
    }));
  if (rows.length === 0) return undefined;
  // Room right of the longest bar for its text, which the scale does not know about; an
  // all-zero panel still needs a domain.
  const furthest = Math.max(0, ...rows.map((r) => r.textAt));
  const domainMax = (furthest > 0 ? furthest : 1) * 1.45;
  return {
    title: { text: "Ratios to the physical limit", subtitle: "bar: measured ÷ reference · black tick: target", anchor: "start", frame: "group" },
    width: PLOT_WIDTH,
    height: { step: BAR_STEP },
    data: { values: rows },
    encoding: {
      y: { field: "label", type: "nominal", sort: null, axis: { title: null, labelLimit: 0 } },
    },
    layer: [
      {
        mark: { type: "bar", height: { band: 0.7 } },
        encoding: {
          x: { field: "value", type: "quantitative", title: "ratio (×)", scale: { domain: [0, domainMax], nice: false } },
          color: {
            field: "verdict",
            type: "nominal",
            scale: { domain: VERDICTS.map((v) => v.name), range: VERDICTS.map((v) => v.colour) },
            legend: { title: "share of target", orient: "bottom", direction: "horizontal" },
          },
        },
      },
      {
        mark: { type: "tick", thickness: 3, color: "black", bandSize: BAR_STEP * 0.9 },
        encoding: { x: { field: "target", type: "quantitative" } },
      },
      {
        mark: { type: "text", align: "left", baseline: "middle", dx: 6, fontSize: 11 },
        encoding: { x: { field: "textAt", type: "quantitative" }, text: { field: "text" } },
      },
    ],
  };
}

function latencyPanel(figures: Figure[]): PanelSpec | undefined {
  const values = new Map(figures.map((f) => [f.key, f.value]));
  const rows = LATENCIES.flatMap((latency) =>
    PERCENTILES.flatMap((percentile) => {
      const value = values.get(latency[percentile]);
      // A log scale has no place for zero; a zero latency is a broken measurement anyway.
      return value !== undefined && value > 0 ? [{ label: latency.label, percentile, value, text: `${formatValue(value, "us")} µs` }] : [];
    }),
  );
  if (rows.length === 0) return undefined;
  const domainMin = Math.min(...rows.map((r) => r.value)) / 2;
  // Room right of the longest bar for its text, which the scale does not know about.
  const domainMax = Math.max(...rows.map((r) => r.value)) * 8;
  const groups = new Set(rows.map((r) => r.label)).size;
  return {
    title: { text: "Latencies (µs, log scale)", anchor: "start", frame: "group" },
    width: PLOT_WIDTH,
    height: groups * BAR_STEP * 2,
    data: { values: rows },
    encoding: {
      y: { field: "label", type: "nominal", sort: null, axis: { title: null, labelLimit: 0 } },
      yOffset: { field: "percentile", type: "nominal", sort: [...PERCENTILES] },
    },
    layer: [
      {
        mark: { type: "bar", height: { band: 0.9 } },
        encoding: {
          // Not stacked: p50 and p99 are two bars side by side, and a stack would start at log(0).
          x: { field: "value", type: "quantitative", title: "µs", stack: null, scale: { type: "log", domain: [domainMin, domainMax], nice: false } },
          color: {
            field: "percentile",
            type: "nominal",
            scale: { domain: [...PERCENTILES], range: PERCENTILE_COLOURS },
            legend: { title: null, orient: "bottom", direction: "horizontal" },
          },
        },
      },
      {
        mark: { type: "text", align: "left", baseline: "middle", dx: 4, fontSize: 11 },
        encoding: { x: { field: "value", type: "quantitative" }, text: { field: "text" } },
      },
    ],
  };
}

/** `2025-05-01T10:00:00Z` → `2025-05-01 10:00 UTC`; a string that is no date is shown as it is. */
function when(startedAt: string): string {
  const date = new Date(startedAt);
  return Number.isNaN(date.getTime()) ? startedAt : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Every fetch is refused: the spec carries its data inline, so a request would be a bug. */
const offlineLoader: vega.Loader = {
  load: (uri) => Promise.reject(new Error(`bench chart is offline; refused to load ${uri}`)),
  sanitize: (uri) => Promise.reject(new Error(`bench chart is offline; refused to load ${uri}`)),
  http: (uri) => Promise.reject(new Error(`bench chart is offline; refused to fetch ${uri}`)),
  file: (filename) => Promise.reject(new Error(`bench chart is offline; refused to read ${filename}`)),
};

/** The vega-lite spec of the chart: everything in it is inline, so rendering needs no network. */
export function chartSpec(report: BenchReport): TopLevelSpec {
  const panels = [ratioPanel(report), latencyPanel(report.figures)].filter((p): p is PanelSpec => p !== undefined);
  const common = {
    title: {
      text: `gfsdeploy bench: cluster ${report.cluster}, filesystem ${report.filesystem}`,
      subtitle: `${when(report.startedAt)} · ${report.mountpoint} · nodes ${nodeRoles(report.nodes)}`,
      anchor: "start" as const,
      fontSize: 16,
      subtitleFontSize: 12,
      offset: 12,
    },
    background: "white",
    padding: 16,
    config: {
      axis: { labelFontSize: LABEL_FONT_SIZE, titleFontSize: LABEL_FONT_SIZE },
      legend: { labelFontSize: LABEL_FONT_SIZE, titleFontSize: LABEL_FONT_SIZE, labelLimit: 0 },
      view: { stroke: null },
    },
  };
  if (panels.length === 0) {
    return {
      ...common,
      data: { values: [{ text: "This report has no ratios and no latency figures to draw." }] },
      mark: { type: "text", fontSize: 14, align: "left" },
      encoding: { text: { field: "text" } },
    };
  }
  return {
    ...common,
    vconcat: panels,
    spacing: 36,
    resolve: { scale: { color: "independent", x: "independent" }, legend: { color: "independent" } },
  };
}

/** Renders the chart of `report` to an SVG document. */
export async function renderChart(report: BenchReport): Promise<string> {
  const view = new vega.View(vega.parse(compile(chartSpec(report)).spec), { renderer: "none", loader: offlineLoader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
