import { describe, expect, it } from "vitest";

import { summarize } from "../../../src/bench/summary.js";
import { renderStatus } from "../../../src/cli/status.js";
import type { NodeReading } from "../../../src/health/read.js";
import { parseCrmMon } from "../../../src/steps/crm.js";
import { sampleReport } from "../bench/sample-report.js";
import { HEALTHY, SHAPE } from "../health/healthy-node.js";

/** crm_mon XML recorded on the converged test bed: both nodes online, sbd-fence Started on node1. */
const MON = HEALTHY.crmMon;

/** A healthy node's reading, with `edit` applied. */
function reading(node: string, edit: (r: NodeReading) => void = () => undefined, mon = MON): NodeReading {
  const r: NodeReading = {
    node,
    cluster: parseCrmMon(mon),
    drbd: [{ resource: "r0", role: "Primary/Primary", disk: "UpToDate/UpToDate", connection: "Connected" }],
    lockspaces: ["data", "lvm_vg_gfs", "lvm_global"].map((name) => ({ name, members: ["1", "2"] })),
    gfs2Mounts: [{ mountpoint: "/srv/data", options: ["rw", "noatime", "rgrplvb"] }],
    devices: [{ device: "/dev/vg_gfs/lv_data", lockTable: "gfstest:data", journals: 2 }],
    missingTools: [],
  };
  edit(r);
  return r;
}

function status(readings: NodeReading[], lastBench?: string) {
  return renderStatus(readings, SHAPE, lastBench);
}

describe("status screen", () => {
  it("shows a healthy cluster in the row format scripts match, fencing and no bench yet", () => {
    const { table, healthy } = status([reading("node1"), reading("node2")]);
    expect(healthy).toBe(true);
    // The end-to-end test's pattern: the mount column stays last on a node's row.
    for (const n of ["node1", "node2"]) expect(table).toMatch(new RegExp(`^${n}\\s+online, quorate\\s+r0 Primary/Primary UpToDate/UpToDate Connected\\s+.*lvm_vg_gfs.*\\s+/srv/data mounted$`, "m"));
    expect(table).toMatch(/^stonith: sbd-fence started on node1$/m);
    expect(table).toMatch(/^last bench: no bench run yet$/m);
  });

  it("calls a stopped fence device unhealthy and says so", () => {
    const stopped = MON.replace(/(<resource id="sbd-fence" resource_agent="stonith:fence_sbd") role="Started"([^>]*)>\s*<node name="node1" id="1" cached="true"\/>\s*<\/resource>/, '$1 role="Stopped"$2/>');
    expect(stopped).not.toBe(MON);
    const { table, healthy } = status([reading("node1", undefined, stopped), reading("node2", undefined, stopped)]);
    expect(table).toMatch(/^stonith: sbd-fence NOT STARTED$/m);
    expect(healthy).toBe(false);
  });

  it("counts a fence device the spec names but Pacemaker lacks as not started", () => {
    const { table, healthy } = renderStatus([reading("node1"), reading("node2")], { ...SHAPE, fenceDevices: ["sbd-fence", "ipmi-node2"] }, undefined);
    expect(table).toMatch(/^stonith: sbd-fence started on node1; ipmi-node2 NOT STARTED$/m);
    expect(healthy).toBe(false);
  });

  it("appends a running resync's progress to the resource and is not healthy until it ends", () => {
    const syncing = (r: NodeReading) => (r.drbd = [{ resource: "r0", role: "Primary/Primary", disk: "UpToDate/Inconsistent", connection: "SyncSource", syncPercent: 12.34 }]);
    const { table, healthy } = status([reading("node1", syncing), reading("node2")]);
    expect(table).toMatch(/^node1\s+online, quorate\s+r0 Primary\/Primary UpToDate\/Inconsistent SyncSource \(sync 12\.3%\)\s+/m);
    expect(healthy).toBe(false);
  });

  it("is unhealthy when a peer is lost even with both roles still Primary locally", () => {
    const { healthy } = status([reading("node1", (r) => (r.drbd = [{ resource: "r0", role: "Primary/Unknown", disk: "UpToDate/DUnknown", connection: "WFConnection" }])), reading("node2")]);
    expect(healthy).toBe(false);
  });

  it("is unhealthy when a filesystem is not mounted, and says which", () => {
    const { table, healthy } = status([reading("node1"), reading("node2", (r) => (r.gfs2Mounts = []))]);
    expect(table).toMatch(/^node2\s.*\/srv\/data NOT MOUNTED$/m);
    expect(healthy).toBe(false);
  });

  it("is unhealthy when pacemaker does not answer, and cannot say where fencing runs", () => {
    const { table, healthy } = status([reading("node1", (r) => delete r.cluster), reading("node2", (r) => delete r.cluster)]);
    expect(table).toMatch(/^node1\s+pacemaker down\s/m);
    expect(table).toMatch(/^stonith: unknown \(pacemaker is not answering\)$/m);
    expect(healthy).toBe(false);
  });

  it("judges by the rule fence-test and bench refuse by: a filesystem's lockspace short of a node is unhealthy", () => {
    const { healthy } = status([reading("node1", (r) => (r.lockspaces = [{ name: "data", members: ["1"] }])), reading("node2")]);
    expect(healthy).toBe(false);
  });

  it("shows the last bench on one line without judging the cluster by it", () => {
    const report = sampleReport();
    const { table, healthy } = status([reading("node1"), reading("node2")], JSON.stringify(summarize(report)));
    expect(table).toMatch(/^last bench: 2025-05-01 10:00 UTC gfs2data FAILED \(glock\.hold\); seq write 810\.0 MiB\/s, coherence p50 2\.3 ms, ping_pong 1,200 locks\/s, link 1,120\.4 MiB\/s$/m);
    expect(healthy).toBe(true);
    expect(status([reading("node1"), reading("node2")], "not json").table).toMatch(/^last bench: unreadable summary in \/var\/lib\/gfsdeploy\/bench\/last\.json$/m);
  });
});
