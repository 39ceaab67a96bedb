import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { healthProblems, lockspaceMembers, type Expectation, type NodeFacts } from "../../../src/bench/health.js";

/** What `bench_node.py facts /srv/data /dev/vg_gfs/lv_data r0` printed on the converged test bed (`tools` added by hand: recorded before the script reported it). */
const healthy = JSON.parse(readFileSync(new URL("../../fixtures/bench-facts/healthy-node1.json", import.meta.url), "utf8")) as NodeFacts;

const expectation: Expectation = {
  nodes: ["node1", "node2"],
  stonith: ["sbd-fence"],
  resources: ["r0"],
  mountpoint: "/srv/data",
  lockTable: "gfstest:data",
  lockspace: "data",
  journals: 2,
  options: ["noatime"],
};

/** Both nodes report the recorded facts, with one node's changed by `edit`. */
function problems(edit: (f: NodeFacts) => void, node = "node2"): string[] {
  const facts = new Map<string, NodeFacts>();
  for (const n of expectation.nodes) {
    const f = structuredClone(healthy);
    if (n === node) edit(f);
    facts.set(n, f);
  }
  return healthProblems(expectation, facts);
}

describe("bench health gate", () => {
  it("passes the converged test bed", () => {
    expect(problems(() => undefined)).toEqual([]);
  });

  it("names a disconnected DRBD resource and the peer it lost", () => {
    expect(
      problems((f) => {
        f.drbd.r0 = { role: "Primary/Unknown", dstate: "UpToDate/DUnknown", cstate: "WFConnection" };
      }),
    ).toEqual([
      "node2: DRBD r0 is WFConnection, not Connected",
      "node2: DRBD r0 roles are Primary/Unknown, not Primary/Primary",
      "node2: DRBD r0 disks are UpToDate/DUnknown, not UpToDate/UpToDate",
    ]);
  });

  it("calls a resource down when drbdadm has no state for it, without drbdadm's kernel error", () => {
    expect(problems((f) => (f.drbd.r0 = { role: "", dstate: "", cstate: "" }))).toEqual(["node2: DRBD r0 is down"]);
  });

  it("calls a running resync what it is", () => {
    expect(problems((f) => (f.drbd.r0 = { role: "Primary/Primary", dstate: "UpToDate/Inconsistent", cstate: "SyncSource" }))).toContain("node2: DRBD r0 is SyncSource, not Connected (a resync is running)");
  });

  it("reads quorum, membership, failed actions and the fence device from crm_mon", () => {
    const offline = problems((f) => {
      f.crm_mon.text = f.crm_mon.text.replace('<node name="node2" id="2" online="true"', '<node name="node2" id="2" online="false"').replace('with_quorum="true"', 'with_quorum="false"');
    });
    expect(offline).toEqual(["node2: the cluster partition has no quorum", "node2: sees node2 offline"]);
    const noFence = problems((f) => (f.crm_mon.text = f.crm_mon.text.replace('id="sbd-fence" resource_agent="stonith:fence_sbd" role="Started"', 'id="sbd-fence" resource_agent="stonith:fence_sbd" role="Stopped"')));
    expect(noFence).toEqual(["node2: fence device sbd-fence is not started"]);
    expect(problems((f) => (f.crm_mon = { code: 102, text: "crm_mon: Connection to cluster failed" }))).toEqual(["node2: pacemaker is not answering (crm_mon exited 102)"]);
  });

  it("checks the DLM lockspace, the mount, the lock table and the journal count", () => {
    expect(problems((f) => (f.dlm.text = f.dlm.text.replace(/members {7}1 2 \n\nname {10}lvm_vg_gfs/, "members       2 \n\nname          lvm_vg_gfs")))).toEqual(["node2: DLM lockspace data has 1 member(s), not 2"]);
    expect(problems((f) => (f.dlm.text = "dlm lockspaces\n"))).toEqual(["node2: DLM lockspace data is not joined"]);
    expect(problems((f) => (f.mount.text = "/dev/mapper/vg_gfs-lv_data gfs2   rw,relatime"))).toEqual(["node2: /srv/data is mounted without noatime"]);
    expect(problems((f) => (f.mount = { code: 1, text: "" }))).toEqual(["node2: /srv/data is not a mounted GFS2 filesystem"]);
    expect(problems((f) => (f.tunegfs2.text = f.tunegfs2.text.replace("Lock table: gfstest:data", "Lock table: other:data")))).toEqual(["node2: lock table is other:data, expected gfstest:data"]);
    expect(problems((f) => (f.journals = 1))).toEqual(["node2: the filesystem has 1 journals, expected 2"]);
    expect(problems((f) => (f.tools = { ...f.tools, fio: false, ping_pong: false }))).toEqual(["node2: fio, ping_pong not installed (set bench.enabled: true in the spec and run apply)"]);
  });

  it("reports a node that gave no facts", () => {
    const facts = new Map([["node1", healthy]]);
    expect(healthProblems(expectation, facts)).toEqual(["node2: no facts (the node did not answer)"]);
  });

  it("lists a lockspace's members from dlm_tool ls, and only that lockspace's", () => {
    expect(lockspaceMembers(healthy.dlm.text, "data")).toEqual(["1", "2"]);
    expect(lockspaceMembers(healthy.dlm.text, "lvm_global")).toEqual(["1", "2"]);
    expect(lockspaceMembers(healthy.dlm.text, "dat")).toBeUndefined();
  });
});
