/**
 * `gfsdeploy bench` on the test bed: it passes the health gate on the converged cluster,
 * reports every figure, writes JSON and a chart that renders, and proves POSIX locks are
 * coherent across nodes (ping_pong data increment = 2). Its refusal of a sick cluster is
 * proven in the fence fault test, where DRBD really is disconnected.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";

import type { BenchReport } from "../../src/bench/types.js";
import { gfsdeploy, on, phaseTimer, SPEC } from "./support.js";

const timed = phaseTimer("bench");
const out = mkdtempSync(join(tmpdir(), "gfsdeploy-bench-"));

describe("gfsdeploy bench on the QEMU test bed", () => {
  beforeAll(async () => {
    const r = await timed("converge before bench", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(r.code, r.out).toBe(0);
  });

  it("passes the health gate, prints the table and writes JSON and SVG", async () => {
    const before = await on("node1", "md5sum /srv/data/from-node1 /srv/data/from-node2; ls -A /srv/data | sort");
    const r = await timed("bench (5 s per measurement)", () => gfsdeploy("bench", SPEC, "--duration", "5s", "--json", join(out, "bench.json"), "--chart", join(out, "bench.svg")));
    expect(r.code, r.out).toBe(0);
    for (const line of ["replication link, one TCP stream", "GFS2 sequential 1 MiB write, node A alone", "cross-node write→seen→answered, p50", "ping_pong -rw, both nodes"]) expect(r.out).toContain(line);

    const report = JSON.parse(readFileSync(join(out, "bench.json"), "utf8")) as BenchReport;
    const figure = (key: string) => report.figures.find((f) => f.key === key)?.value;
    for (const key of ["link.tcp", "link.rtt_p50", "raw.read", "raw.write", "drbd.write", "gfs2.a.seq_write", "gfs2.b.seq_read", "gfs2.ab.seq_write", "gfs2.shared.rand_iops", "gfs2.a.fsync_p50", "coherence.p50", "pingpong.one", "pingpong.two", "meta.private", "meta.shared"]) {
      expect(figure(key), key).toBeGreaterThan(0);
    }
    expect(figure("pingpong.increment")).toBe(2);
    expect(report.checks.every((c) => c.passed), JSON.stringify(report.checks)).toBe(true);
    expect(report.ratios.map((x) => x.key)).toContain("ratio.seq_write_vs_ceiling");
    expect(Object.keys(report.versions).sort()).toEqual(["node1", "node2"]);
    expect(report.versions.node1?.drbd).toMatch(/8\.4/);

    // The chart must render, not only parse: rsvg-convert draws it to a PNG.
    const png = join(out, "bench.png");
    await execa("rsvg-convert", ["-o", png, join(out, "bench.svg")]);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
    process.stderr.write(`[e2e] bench chart: ${png}\n`);

    // Bench leaves nothing behind and touched no user file.
    expect(await on("node1", "md5sum /srv/data/from-node1 /srv/data/from-node2; ls -A /srv/data | sort")).toBe(before);
    expect(await on("node1", "lvs --noheadings -o lv_name vg_gfs")).not.toMatch(/gfsdeploy_bench/);
  });

  it("status then shows the fence device started and this run as the last bench", async () => {
    const r = await timed("status after bench", () => gfsdeploy("status", SPEC));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^stonith: sbd-fence started on node\d$/m);
    expect(r.out).toMatch(/^last bench: \d{4}-\d\d-\d\d \d\d:\d\d UTC data passed; /m);
  });
});
