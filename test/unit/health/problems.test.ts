/**
 * The one health rule (readingProblems) that status, fence-test and bench judge a node by,
 * on what a node of the converged test bed printed: each test breaks one thing the way the
 * node's tools show it and reads the node through the probes, as the commands do.
 */
import { describe, expect, it } from "vitest";

import { readingProblems, readNode } from "../../../src/health/read.js";
import type { HealthyShape } from "../../../src/health/shape.js";
import { exitWith, ok, type FakeTransport } from "../../../src/transport/fake.js";
import { HEALTHY, healthyNode, SHAPE } from "./healthy-node.js";

const PROC_84_SYNCING = `version: 8.4.11 (api:1/proto:86-101)
 0: cs:SyncSource ro:Primary/Primary ds:UpToDate/Inconsistent C r-----
    ns:2031616 nr:0 dw:0 dr:2031616 al:0 bm:124 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:8453788
	[===>................] sync'ed: 19.4% (8252/10236)M
`;

async function problems(t: FakeTransport, shape: HealthyShape = SHAPE): Promise<string[]> {
  return readingProblems(await readNode(t, shape), shape);
}

/** node2's problems once `edit` has changed how it answers. */
const broken = (edit: (t: FakeTransport) => unknown) => {
  const t = healthyNode("node2");
  edit(t);
  return problems(t);
};

describe("the health rule", () => {
  it("finds nothing wrong with the converged test bed, on either node", async () => {
    expect(await problems(healthyNode("node1"))).toEqual([]);
    expect(await problems(healthyNode("node2"))).toEqual([]);
  });

  it("names a disconnected DRBD resource, the connection first", async () => {
    expect(
      await broken((t) =>
        t
          .on(["drbdadm", "role", "r0"], ok("Primary/Unknown\n"))
          .on(["drbdadm", "dstate", "r0"], ok("UpToDate/DUnknown\n"))
          .on(["drbdadm", "cstate", "r0"], ok("WFConnection\n")),
      ),
    ).toEqual(["node2: DRBD r0 is WFConnection, not Connected", "node2: DRBD r0 disks are UpToDate/DUnknown, not UpToDate/UpToDate"]);
  });

  it("calls a resource down when drbdadm has no state for it, without drbdadm's kernel error", async () => {
    const down = exitWith(10, "r0: State change failed: (-12) Device minor not allocated\n");
    const found = await broken((t) => t.on(["drbdadm", "role", "r0"], down).on(["drbdadm", "dstate", "r0"], down).on(["drbdadm", "cstate", "r0"], down));
    expect(found).toEqual(["node2: DRBD r0 is down"]);
  });

  it("says a node that is not Primary is not", async () => {
    expect(await broken((t) => t.on(["drbdadm", "role", "r0"], ok("Secondary/Primary\n")))).toEqual(["node2: DRBD r0 is Secondary/Primary, not Primary"]);
  });

  it("calls a running resync what it is, with how far it got when DRBD says", async () => {
    const syncing = (t: FakeTransport) => t.on(["drbdadm", "dstate", "r0"], ok("UpToDate/Inconsistent\n")).on(["drbdadm", "cstate", "r0"], ok("SyncSource\n"));
    expect(await broken(syncing)).toEqual(["node2: DRBD r0 is SyncSource, not Connected (a resync is running)", "node2: DRBD r0 disks are UpToDate/Inconsistent, not UpToDate/UpToDate"]);
    expect(await broken((t) => syncing(t).setFile("/proc/drbd", PROC_84_SYNCING))).toContain("node2: DRBD r0 is SyncSource, not Connected (a resync is running, 19.4% done)");
    // DRBD 9 stays Connected during a resync: the disks carry the news.
    const drbd9 = await broken((t) =>
      t
        .on(["drbdadm", "role", "r0"], ok("Primary\n"))
        .on(["drbdadm", "dstate", "r0"], ok("Inconsistent\n"))
        .setFile("/proc/drbd", "version: 9.2.9 (api:2/proto:86-122)\n")
        .on(["drbdsetup", "status", "r0", "--verbose", "--statistics"], ok("r0 role:Primary\n  node1 connection:Connected\n    volume:0 replication:SyncTarget peer-disk:UpToDate done:42.07\n")),
    );
    expect(drbd9).toEqual(["node2: DRBD r0 disks are Inconsistent, not UpToDate/UpToDate (a resync is running, 42.1% done)"]);
  });

  it("reads quorum, membership, failed actions and the fence device from crm_mon", async () => {
    const mon = (xml: string) => (t: FakeTransport) => t.on(["crm_mon", "-1", "--output-as=xml"], ok(xml));
    const offline = HEALTHY.crmMon.replace('<node name="node2" id="2" online="true"', '<node name="node2" id="2" online="false"').replace('with_quorum="true"', 'with_quorum="false"');
    expect(offline).not.toBe(HEALTHY.crmMon);
    expect(await broken(mon(offline))).toEqual(["node2: the cluster partition has no quorum", "node2: sees node2 offline"]);
    const stopped = HEALTHY.crmMon.replace('id="sbd-fence" resource_agent="stonith:fence_sbd" role="Started"', 'id="sbd-fence" resource_agent="stonith:fence_sbd" role="Stopped"');
    expect(stopped).not.toBe(HEALTHY.crmMon);
    expect(await broken(mon(stopped))).toEqual(["node2: fence device sbd-fence is not started"]);
    const failed = HEALTHY.crmMon.replace("</pacemaker-result>", '<failures><failure op_key="data-fs_monitor_10000" node="node2" exitstatus="not running" exitreason="No such device" status="complete"/></failures></pacemaker-result>');
    expect(await broken(mon(failed))).toEqual(["node2: failed action: data-fs_monitor_10000 on node2: No such device"]);
  });

  it("says why Pacemaker is not answering, as far as crm_mon says", async () => {
    // What crm_mon 2.1.5 printed, exiting 102, on a Debian 12 host whose Pacemaker was not running.
    const refused = `<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <status code="102" message="Not connected">
    <errors>
      <error>error: Could not connect to launcher: Connection refused</error>
      <error>crm_mon: Connection to cluster failed: Connection refused</error>
    </errors>
  </status>
</pacemaker-result>
`;
    expect(await broken((t) => t.on(["crm_mon", "-1", "--output-as=xml"], exitWith(102, "", refused)))).toEqual(["node2: pacemaker is not answering (crm_mon exited 102: Connection to cluster failed: Connection refused)"]);
    expect(await broken((t) => t.on(["crm_mon", "-1", "--output-as=xml"], exitWith(127, "sh: 1: crm_mon: not found\n")))).toEqual(["node2: pacemaker is not answering (crm_mon exited 127)"]);
  });

  it("asks for no fence device when the spec turns stonith off", async () => {
    const stopped = HEALTHY.crmMon.replace('id="sbd-fence" resource_agent="stonith:fence_sbd" role="Started"', 'id="sbd-fence" resource_agent="stonith:fence_sbd" role="Stopped"');
    const t = healthyNode("node2").on(["crm_mon", "-1", "--output-as=xml"], ok(stopped));
    expect(await problems(t, { ...SHAPE, fenceDevices: [] })).toEqual([]);
  });

  it("checks the filesystem's DLM lockspace: joined, with every node", async () => {
    expect(await broken((t) => t.on(["dlm_tool", "ls"], ok(HEALTHY.dlm.replace(/members {7}1 2 \n\nname {10}lvm_vg_gfs/, "members       2 \n\nname          lvm_vg_gfs"))))).toEqual(["node2: DLM lockspace data has 1 member(s), not 2"]);
    expect(await broken((t) => t.on(["dlm_tool", "ls"], ok("dlm lockspaces\n")))).toEqual(["node2: DLM lockspace data is not joined"]);
    // Only that lockspace's members count: LVM's lockspaces, with both nodes, do not stand in for it.
    const lvmOnly = HEALTHY.dlm.replace(/^name {10}data\n[\s\S]*?\n\n/m, "");
    expect(lvmOnly).toMatch(/^name\s+lvm_global/m);
    expect(await broken((t) => t.on(["dlm_tool", "ls"], ok(lvmOnly)))).toEqual(["node2: DLM lockspace data is not joined"]);
  });

  it("checks the mount and its options, and names a missing mount alone", async () => {
    expect(await broken((t) => t.on(["findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS"], ok('TARGET="/srv/data" OPTIONS="rw,relatime,rgrplvb"\n')))).toEqual(["node2: /srv/data is mounted without noatime"]);
    // Not mounted: no lockspace either, and that follows from the mount, so only the mount is named.
    const unmounted = await broken((t) => t.on(["findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS"], exitWith(1)).on(["dlm_tool", "ls"], ok("dlm lockspaces\n")));
    expect(unmounted).toEqual(["node2: /srv/data is not a mounted GFS2 filesystem"]);
  });

  it("checks the lock table on the device", async () => {
    expect(await broken((t) => t.on(["tunegfs2", "-l", "/dev/vg_gfs/lv_data"], ok(HEALTHY.tunegfs2.replace("Lock table: gfstest:data", "Lock table: other:data"))))).toEqual([
      "node2: lock table on /dev/vg_gfs/lv_data is other:data, expected gfstest:data",
    ]);
    expect(await broken((t) => t.on(["tunegfs2", "-l", "/dev/vg_gfs/lv_data"], exitWith(1, "tunegfs2: cannot open /dev/vg_gfs/lv_data\n")))).toEqual([
      "node2: lock table on /dev/vg_gfs/lv_data is unreadable, expected gfstest:data",
    ]);
  });

  it("wants a journal for every node, and takes spares as healthy", async () => {
    const journals = (lines: string) => (t: FakeTransport) => t.on(["gfs2_edit", "-p", "journals", "/dev/vg_gfs/lv_data"], ok(HEALTHY.journals.replace(/^journal[\s\S]*?\n(?=-{10})/m, lines)));
    expect(await broken(journals("journal0: 0x12    32MB clean.\n"))).toEqual(["node2: /dev/vg_gfs/lv_data has 1 journal(s) for 2 nodes: each node that mounts it needs its own"]);
    expect(await broken(journals("journal0: 0x12    32MB clean.\njournal1: 0x2027  32MB clean.\njournal2: 0x403c  32MB clean.\n"))).toEqual([]);
    expect(await broken((t) => t.on(["gfs2_edit", "-p", "journals", "/dev/vg_gfs/lv_data"], exitWith(1, "Failed to open '/dev/vg_gfs/lv_data'\n")))).toEqual(["node2: the journal index on /dev/vg_gfs/lv_data is unreadable"]);
  });

  it("names the tools the caller needs that a node lacks, and how to get them", async () => {
    const shape: HealthyShape = { ...SHAPE, tools: { names: ["fio", "iperf3", "ping_pong", "ping"], install: "set bench.enabled: true in the spec and run apply" } };
    expect(await problems(healthyNode("node2"), shape)).toEqual([]);
    expect(await problems(healthyNode("node2", ["fio", "ping_pong"]), shape)).toEqual(["node2: fio, ping_pong not installed (set bench.enabled: true in the spec and run apply)"]);
    // Without tools in the shape, nothing is asked: status does not need fio.
    const t = healthyNode("node2", ["fio"]);
    expect(await problems(t)).toEqual([]);
    expect(t.commandLines().filter((l) => l.startsWith("sh "))).toEqual([]);
  });

  it("lists every problem of a node worst first: Pacemaker, DRBD, the filesystem, then tools", async () => {
    const shape: HealthyShape = { ...SHAPE, tools: { names: ["fio"], install: "set bench.enabled: true in the spec and run apply" } };
    const t = healthyNode("node1", ["fio"])
      .on(["gfs2_edit", "-p", "journals", "/dev/vg_gfs/lv_data"], exitWith(1))
      .on(["findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS"], ok('TARGET="/srv/data" OPTIONS="rw,relatime"\n'))
      .on(["drbdadm", "cstate", "r0"], ok("StandAlone\n"))
      .on(["crm_mon", "-1", "--output-as=xml"], ok(HEALTHY.crmMon.replace('with_quorum="true"', 'with_quorum="false"')));
    expect(await problems(t, shape)).toEqual([
      "node1: the cluster partition has no quorum",
      "node1: DRBD r0 is StandAlone, not Connected",
      "node1: /srv/data is mounted without noatime",
      "node1: the journal index on /dev/vg_gfs/lv_data is unreadable",
      "node1: fio not installed (set bench.enabled: true in the spec and run apply)",
    ]);
  });

});
