import { describe, expect, it } from "vitest";

import { readNode } from "../../../src/health/read.js";
import { FakeTransport, ok } from "../../../src/transport/fake.js";

const PROC_84_SYNCING = `version: 8.4.11 (api:1/proto:86-101)
 0: cs:SyncTarget ro:Primary/Primary ds:Inconsistent/UpToDate C r-----
    ns:0 nr:2031616 dw:2031616 dr:0 al:0 bm:124 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:8453788
	[===>................] sync'ed: 19.4% (8252/10236)M
	finish: 0:05:41 speed: 24,800 (24,120) want: 40,960 K/sec
`;

/** A node whose r0 reports the given DRBD states; the other tools answer as on a healthy node. */
function node(role: string, dstate: string, cstate: string): FakeTransport {
  return new FakeTransport("node2")
    .on(["crm_mon", "-1", "--output-as=xml"], ok("<pacemaker-result/>"))
    .on(["drbdadm", "role", "r0"], ok(`${role}\n`))
    .on(["drbdadm", "dstate", "r0"], ok(`${dstate}\n`))
    .on(["drbdadm", "cstate", "r0"], ok(`${cstate}\n`))
    .on(["dlm_tool", "ls"], ok(""))
    .on(["findmnt", "-n", "-t", "gfs2", "-o", "TARGET"], ok("/srv/data\n"));
}

describe("readNode", () => {
  it("reads a DRBD 8.4 resync's progress from /proc/drbd for the resource's minor", async () => {
    const t = node("Primary/Primary", "Inconsistent/UpToDate", "SyncTarget").setFile("/proc/drbd", PROC_84_SYNCING).on(["drbdadm", "sh-minor", "r0"], ok("0\n"));
    const r = await readNode(t, ["r0"]);
    expect(r.drbd).toEqual([{ resource: "r0", role: "Primary/Primary", disk: "Inconsistent/UpToDate", connection: "SyncTarget", syncPercent: 19.4 }]);
  });

  it("asks drbdsetup on DRBD 9, whose cstate stays Connected during a resync", async () => {
    const t = node("Primary", "Inconsistent", "Connected")
      .setFile("/proc/drbd", "version: 9.2.9 (api:2/proto:86-122)\n")
      .on(["drbdsetup", "status", "r0", "--verbose", "--statistics"], ok("r0 role:Primary\n  node1 connection:Connected\n    volume:0 replication:SyncTarget peer-disk:UpToDate done:42.07\n"));
    expect((await readNode(t, ["r0"])).drbd[0]?.syncPercent).toBe(42.07);
  });

  it("reads no progress when both disks are UpToDate and Connected", async () => {
    const t = node("Primary/Primary", "UpToDate/UpToDate", "Connected");
    const r = await readNode(t, ["r0"]);
    expect(r.drbd[0]).not.toHaveProperty("syncPercent");
    // Read in one batch: the resync's progress is read with the rest, and left unused.
    expect(t.calls.filter((c) => c.kind === "batch")).toHaveLength(1);
  });
});
