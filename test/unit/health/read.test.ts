import { describe, expect, it } from "vitest";

import { readNode } from "../../../src/health/read.js";
import { ok, type FakeTransport } from "../../../src/transport/fake.js";
import { HEALTHY, healthyNode, SHAPE } from "./healthy-node.js";

const PROC_84_SYNCING = `version: 8.4.11 (api:1/proto:86-101)
 0: cs:SyncTarget ro:Primary/Primary ds:Inconsistent/UpToDate C r-----
    ns:0 nr:2031616 dw:2031616 dr:0 al:0 bm:124 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:8453788
	[===>................] sync'ed: 19.4% (8252/10236)M
	finish: 0:05:41 speed: 24,800 (24,120) want: 40,960 K/sec
`;

/** A node whose r0 reports the given DRBD states; the other tools answer as on a healthy node. */
function node(role: string, dstate: string, cstate: string): FakeTransport {
  return healthyNode("node2")
    .on(["drbdadm", "role", "r0"], ok(`${role}\n`))
    .on(["drbdadm", "dstate", "r0"], ok(`${dstate}\n`))
    .on(["drbdadm", "cstate", "r0"], ok(`${cstate}\n`));
}

describe("readNode", () => {
  it("reads a DRBD 8.4 resync's progress from /proc/drbd for the resource's minor", async () => {
    const t = node("Primary/Primary", "Inconsistent/UpToDate", "SyncTarget").setFile("/proc/drbd", PROC_84_SYNCING).on(["drbdadm", "sh-minor", "r0"], ok("0\n"));
    const r = await readNode(t, SHAPE);
    expect(r.drbd).toEqual([{ resource: "r0", role: "Primary/Primary", disk: "Inconsistent/UpToDate", connection: "SyncTarget", syncPercent: 19.4 }]);
  });

  it("asks drbdsetup on DRBD 9, whose cstate stays Connected during a resync", async () => {
    const t = node("Primary", "Inconsistent", "Connected")
      .setFile("/proc/drbd", "version: 9.2.9 (api:2/proto:86-122)\n")
      .on(["drbdsetup", "status", "r0", "--verbose", "--statistics"], ok("r0 role:Primary\n  node1 connection:Connected\n    volume:0 replication:SyncTarget peer-disk:UpToDate done:42.07\n"));
    expect((await readNode(t, SHAPE)).drbd[0]?.syncPercent).toBe(42.07);
  });

  it("reads no progress when both disks are UpToDate and Connected", async () => {
    const t = node("Primary/Primary", "UpToDate/UpToDate", "Connected");
    const r = await readNode(t, SHAPE);
    expect(r.drbd[0]).not.toHaveProperty("syncPercent");
    // Read in one batch: the resync's progress is read with the rest, and left unused.
    expect(t.calls.filter((c) => c.kind === "batch")).toHaveLength(1);
  });

  it("lists each DLM lockspace with its own members, not those of a change still under way", async () => {
    const changing = `${HEALTHY.dlm}\nname          extra\nid            0x1\nflags         0x00000004 kern_stop\nchange        member 1 joined 0 remove 1 failed 1 seq 3,3\nmembers       1 2 \nnew change    member 1 joined 0 remove 1 failed 1 seq 4,4\nnew status    wait fencing\nnew members   1 \n`;
    const r = await readNode(node("Primary/Primary", "UpToDate/UpToDate", "Connected").on(["dlm_tool", "ls"], ok(changing)), SHAPE);
    expect(r.lockspaces).toEqual([
      { name: "data", members: ["1", "2"] },
      { name: "lvm_vg_gfs", members: ["1", "2"] },
      { name: "lvm_global", members: ["1", "2"] },
      { name: "extra", members: ["1", "2"] },
    ]);
  });

  it("reads every GFS2 mount with its options from findmnt's quoted pairs, whatever the mount point holds", async () => {
    // findmnt 2.38 -P printed a mount point `/tmp/fm t"q` as below: the space kept, the quote as \x22.
    const mounts = `${HEALTHY.mounts}TARGET="/tmp/fm t\\x22q" OPTIONS="rw,noatime"\n`;
    const r = await readNode(node("Primary/Primary", "UpToDate/UpToDate", "Connected").on(["findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS"], ok(mounts)), SHAPE);
    expect(r.gfs2Mounts).toEqual([
      { mountpoint: "/srv/data", options: ["rw", "noatime", "rgrplvb"] },
      { mountpoint: '/tmp/fm t"q', options: ["rw", "noatime"] },
    ]);
  });

  it("reads the lock table and journal count of each filesystem's device", async () => {
    const r = await readNode(node("Primary/Primary", "UpToDate/UpToDate", "Connected"), SHAPE);
    expect(r.devices).toEqual([{ device: "/dev/vg_gfs/lv_data", lockTable: "gfstest:data", journals: 2 }]);
  });
});
