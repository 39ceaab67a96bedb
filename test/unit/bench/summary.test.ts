import { describe, expect, it } from "vitest";

import { formatSummary, parseSummary, storeSummary, SUMMARY_PATH } from "../../../src/bench/summary.js";
import { FakeTransport, ok } from "../../../src/transport/fake.js";
import { FIGURES, figure, sampleReport } from "./sample-report.js";

describe("last bench summary", () => {
  it("is written to node A after creating its directory, with the headline figures and no spec", async () => {
    const t = new FakeTransport("node1").on(["mkdir", "-p", "/var/lib/gfsdeploy/bench"], ok());
    await storeSummary(t, sampleReport());
    expect(t.calls.map((c) => (c.kind === "exec" ? `exec ${c.command} ${c.args.join(" ")}` : `${c.kind} ${"path" in c ? c.path : ""}`))).toEqual(["exec mkdir -p /var/lib/gfsdeploy/bench", `writeFile ${SUMMARY_PATH}`]);
    const written = JSON.parse(t.fileText(SUMMARY_PATH) ?? "") as Record<string, unknown>;
    expect(written).toEqual({
      schema: "gfsdeploy-bench-summary/1",
      startedAt: "2025-05-01T10:00:00.000Z",
      filesystem: "gfs2data",
      passed: false,
      failedChecks: ["glock.hold"],
      figures: {
        "gfs2.a.seq_write": { value: 810, unit: "MiB/s" },
        "coherence.p50": { value: 2300, unit: "us" },
        "pingpong.two": { value: 1200, unit: "locks/s" },
        "link.tcp": { value: 1120.4, unit: "MiB/s" },
      },
    });
  });

  it("fails loudly when the directory cannot be made, writing nothing", async () => {
    const t = new FakeTransport("node1").on(["mkdir", "-p", "/var/lib/gfsdeploy/bench"], { code: 1, stdout: "", stderr: "mkdir: Read-only file system\n" });
    await expect(storeSummary(t, sampleReport())).rejects.toThrow(/Read-only file system/);
    expect(t.files.has(SUMMARY_PATH)).toBe(false);
  });

  it("reads as one line: milliseconds for coherence, a passed run, figures it lacks left out", async () => {
    const figures = FIGURES.filter((f) => f.key !== "link.tcp").map((f) => (f.key === "coherence.p50" ? figure(f.key, f.label, 245_000, "us") : f));
    const report = { ...sampleReport(figures), checks: [{ name: "pingpong.increment", passed: true, detail: "" }] };
    const t = new FakeTransport("node1").on(() => true, ok());
    await storeSummary(t, report);
    const summary = parseSummary(t.fileText(SUMMARY_PATH) ?? "");
    expect(summary && formatSummary(summary)).toBe("2025-05-01 10:00 UTC gfs2data passed; seq write 810.0 MiB/s, coherence p50 245 ms, ping_pong 1,200 locks/s");
  });

  it("refuses a file it did not write", () => {
    expect(parseSummary('{"schema":"gfsdeploy-bench/1"}')).toBeUndefined();
    expect(parseSummary("")).toBeUndefined();
  });
});
