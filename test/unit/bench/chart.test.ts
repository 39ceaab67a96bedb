import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { chartSpec, renderChart } from "../../../src/bench/chart.js";
import { sampleReport as report } from "./sample-report.js";

/** Text as vega's SVG renderer writes it inside <text>: XML-escaped. */
function escaped(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The PNG's size from its IHDR chunk, which the format puts first, right after the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function rsvgConvert(svg: string): Buffer {
  const result = spawnSync("rsvg-convert", ["--format", "png"], { input: svg, maxBuffer: 64 * 1024 * 1024 });
  expect(result.error, "rsvg-convert must be installed (.ci/install-deps installs librsvg2-bin)").toBeUndefined();
  expect(result.stderr.toString()).toBe("");
  expect(result.status).toBe(0);
  return result.stdout;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("renderChart", () => {
  it("draws an SVG titled with the cluster, filesystem and date that names every ratio", async () => {
    const r = report();
    const svg = await renderChart(r);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("gfsdeploy bench: cluster alpha, filesystem gfs2data");
    expect(svg).toContain("2025-05-01 10:00 UTC");
    const drawn = r.ratios.filter((x) => x.kind === "ratio");
    expect(drawn).toHaveLength(8);
    for (const ratio of drawn) expect(svg, ratio.label).toContain(`>${escaped(ratio.label)}<`);
    expect(svg).toContain("0.0014 (target 1.00)");
    // The overhead is in µs, not a ratio: it has no bar on the ratio axis.
    expect(svg).not.toContain("QD1 write above disk + RTT");
  });

  it("draws p50 and p99 bars for each latency on a log axis", async () => {
    const svg = await renderChart(report());
    for (const label of ["Link RTT", "QD1 4 KiB write, node A", "fsync, node A", "Write seen on other node"]) {
      expect(svg).toContain(`>${label}<`);
    }
    for (const text of ["180 µs", "420 µs", "1,400 µs", "2,900 µs", "180,000 µs"]) expect(svg).toContain(`>${text}<`);
    // Bars start at the plot's left edge and have width: a stacked bar on a log axis would be empty.
    const bars = [...svg.matchAll(/aria-label="µs: [^"]*"[^>]*d="M0,[\d.]+h([\d.]+)/g)].map((m) => Number(m[1]));
    expect(bars).toHaveLength(8);
    expect(bars.every((w) => w > 1)).toBe(true);
  });

  it("renders offline: inline data only, and nothing fetched", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in tests"));
    expect(JSON.stringify(chartSpec(report()))).not.toMatch(/"url"\s*:/);
    const svg = await renderChart(report());
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(svg).not.toMatch(/(href|src)="(https?:)?\/\//);
  });

  it("says so when there is nothing to draw", async () => {
    const svg = await renderChart(report([]));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("This report has no ratios and no latency figures to draw.");
  });

  it("converts to a PNG of the SVG's size with rsvg-convert", async () => {
    const svg = await renderChart(report());
    const declared = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
    expect(declared).not.toBeNull();
    const { width, height } = pngSize(rsvgConvert(svg));
    expect(width).toBe(Number(declared?.[1]));
    expect(height).toBe(Number(declared?.[2]));
    // About 800 px wide, and tall enough for eight ratio bars and four latency pairs.
    expect(width).toBeGreaterThanOrEqual(700);
    expect(width).toBeLessThanOrEqual(1000);
    expect(height).toBeGreaterThanOrEqual(500);
    expect(height).toBeLessThanOrEqual(1200);
  });
});
