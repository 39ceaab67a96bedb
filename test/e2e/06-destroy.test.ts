/**
 * destroy keeps the data: on the applied test bed, a file is written to GFS2, the cluster is
 * torn down (checked with the nodes' own tools: no cluster, DRBD down, nothing mounted), then
 * the spec is applied again from scratch and the file reads back with the same checksum on
 * both nodes. A final plan finds nothing to change. Both the teardown and the rebuild run only
 * steps their plan listed. Before that, an active LV the spec does
 * not know makes destroy refuse up front, naming it, with nothing changed.
 */
import { describe, expect, it } from "vitest";

import { both, gfsdeploy, notOk, on, phaseTimer, SPEC, tryOn, unplanned, type StepEnd } from "./support.js";

const timed = phaseTimer("destroy and rebuild");
const FILE = "/srv/data/destroy-keeps-me.bin";

/**
 * Every step the run changed was in its plan as a change or pending, and `expected` changed.
 * Steps the plan listed that turned out to need nothing (Pacemaker had already done it) are
 * printed, not failed.
 */
function expectPlanned(plan: Map<string, StepEnd>, ran: Map<string, StepEnd>, expected: string): void {
  expect(unplanned(plan, ran)).toEqual([]);
  expect(ran.get(expected)?.outcome, expected).toBe("changed");
  const changed = [...ran.values()].filter((e) => e.outcome === "changed").length;
  const idle = [...plan.keys()].filter((id) => ran.get(id)?.outcome !== "changed");
  process.stderr.write(`[e2e]   planned ${plan.size}, changed ${changed}, planned but found done: ${idle.join(", ") || "none"}\n`);
}

describe("destroy (keeping the data), then apply again", () => {
  let sum = "";

  it("starts from the applied cluster with a 16 MiB file on GFS2", async () => {
    const r = await timed("converge before", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(r.code, r.out).toBe(0);
    sum = await on("node1", `head -c 16M /dev/urandom > ${FILE} && sync && md5sum < ${FILE}`);
    expect(await on("node2", `md5sum < ${FILE}`)).toBe(sum);
  });

  it("refuses up front while an LV the spec does not list is active, and changes nothing", async () => {
    await on("node1", "lvcreate --yes -an -Zn -L 64m -n lv_foreign vg_gfs >/dev/null && lvchange -asy vg_gfs/lv_foreign");
    const plan = await timed("plan --destroy (refused)", () => gfsdeploy("plan", "--destroy", SPEC));
    expect(plan.code, plan.out).toBe(1);
    expect(plan.out).toMatch(/REFUSED\s+node1\/destroy\/lvm\/vg_gfs\/deactivate/);
    const r = await timed("destroy --yes (refused)", () => gfsdeploy("destroy", SPEC, "--yes"));
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain("vg_gfs/lv_foreign is active on node1 and not in the spec");
    expect(r.out).toContain("nothing was changed");
    expect(r.out).toContain("lvchange --activate n vg_gfs/lv_foreign");
    // The filesystem clone, the first step a teardown would take, is still there and mounted.
    expect((await tryOn("node1", "crm_resource --resource data-group-clone --query-xml")).code).toBe(0);
    for (const n of both) {
      expect(await on(n, "mount -t gfs2"), n).toMatch(/on \/srv\/data type gfs2/);
      expect(await on(n, `md5sum < ${FILE}`), n).toBe(sum);
    }
    await on("node1", "lvchange -an vg_gfs/lv_foreign && lvremove -y vg_gfs/lv_foreign >/dev/null");
  });

  it("plan --destroy lists the teardown in order and changes nothing", async () => {
    const r = await timed("plan --destroy", () => gfsdeploy("plan", "--destroy", SPEC));
    expect(r.code, r.out).toBe(3);
    const order = ["cluster/destroy/cib/filesystems", "node1/destroy/lvm/vg_gfs/deactivate", "cluster/destroy/cib/locking", "cluster/destroy/cib/drbd", "node1/destroy/drbd/r0/down", "cluster/destroy/cib/fencing", "node1/destroy/cluster"];
    const at = order.map((id) => r.out.indexOf(id));
    expect(at.every((i) => i >= 0), r.out).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(r.out).not.toContain("[destructive]");
    for (const n of both) expect(await on(n, "mount -t gfs2")).toMatch(/on \/srv\/data type gfs2/);
  });

  it("destroy --yes tears the cluster down on both nodes, running only steps plan --destroy listed", async () => {
    const teardown = await timed("plan --destroy --json", () => gfsdeploy("plan", "--destroy", "--json", SPEC));
    expect(teardown.code, teardown.out).toBe(3);
    const r = await timed("destroy --yes", () => gfsdeploy("destroy", SPEC, "--yes", "--json"));
    expect(r.code, r.out).toBe(0);
    expectPlanned(notOk(teardown.out), notOk(r.out), "cluster/destroy/cib/filesystems");
    for (const n of both) {
      expect((await tryOn(n, "crm_mon -1")).code, n).not.toBe(0);
      expect(await on(n, "systemctl is-active pacemaker corosync || true"), n).toBe("inactive\ninactive");
      expect((await tryOn(n, "test -e /etc/corosync/corosync.conf")).code, n).not.toBe(0);
      expect(await on(n, "mount -t gfs2"), n).toBe("");
      // DRBD 8.4 drops a downed minor from /proc/drbd (or lists it Unconfigured).
      expect(await on(n, "cat /proc/drbd"), n).not.toMatch(/^\s*0: cs:(?!Unconfigured)/m);
      // The data stays: DRBD metadata on the backing disk, the VG and LV on top of it.
      expect(await on(n, "blkid -p -o value -s TYPE /dev/disk/by-id/virtio-drbd"), n).toBe("drbd");
    }
    const again = await timed("destroy again (nothing to do)", () => gfsdeploy("destroy", SPEC, "--yes"));
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/^0 changed, 0 to change/m);
    const plan = await timed("plan --destroy on the torn-down cluster", () => gfsdeploy("plan", "--destroy", SPEC));
    expect(plan.code, plan.out).toBe(0);
  });

  it("apply from scratch, running only steps plan listed, brings the cluster back with the file intact on both nodes", async () => {
    const rebuild = await timed("plan after destroy", () => gfsdeploy("plan", "--json", SPEC));
    expect(rebuild.code, rebuild.out).toBe(3);
    const r = await timed("apply after destroy", () => gfsdeploy("apply", SPEC, "--yes", "--json"));
    expect(r.code, r.out).toBe(0);
    const ran = notOk(r.out);
    expectPlanned(notOk(rebuild.out), ran, "cluster/cib/base");
    // The metadata was found again: no create-md over the data; mkfs finds its own GFS2, keeps it and says ok.
    for (const id of ["node1/drbd/r0/create-md", "node2/drbd/r0/create-md", "cluster/gfs2/data/mkfs"]) expect(ran.get(id), id).toBeUndefined();
    for (const n of both) {
      expect(await on(n, "mount -t gfs2"), n).toMatch(/on \/srv\/data type gfs2/);
      expect(await on(n, `md5sum < ${FILE}`), n).toBe(sum);
    }
    const plan = await timed("plan after rebuild", () => gfsdeploy("plan", SPEC));
    expect(plan.code, plan.out).toBe(0);
    await on("node1", `rm -f ${FILE}`);
  });
});
