/**
 * The end-to-end proof on two real VMs: apply refuses a disk holding data until forced for
 * that disk, then builds the cluster; a second apply and a plan change nothing, and drift made by hand is reported by plan and corrected by apply. Every
 * assertion about the cluster is made over plain `ssh` with the nodes' own tools, never
 * through gfsdeploy's own status.
 */
import { describe, expect, it } from "vitest";

import { both, gfsdeploy, on, phaseTimer, SPEC } from "./support.js";

const timed = phaseTimer("bring-up");

describe("two-node bring-up on the QEMU test bed", () => {
  const drbdDisk = "/dev/disk/by-id/virtio-drbd";
  let keep = "";

  it("first apply refuses to put DRBD on node2's disk, which holds a filesystem, and leaves it intact", async () => {
    // GIVEN someone's ext4 with a file on node2's would-be DRBD disk.
    keep = await on("node2", `mkfs.ext4 -q -F ${drbdDisk} && mount ${drbdDisk} /mnt && head -c 1M /dev/urandom > /mnt/keep && md5sum < /mnt/keep && umount /mnt`);
    const r = await timed("first apply (refused on node2's DRBD disk)", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/REFUSED\s+node2\/drbd\/r0\/create-md.*\n\s+\/dev\/disk\/by-id\/virtio-drbd on node2 already holds ext4; drbdadm create-md would destroy it/);
    expect(r.out).toContain(`--force-device ${drbdDisk}`);
    expect(r.out).not.toMatch(/REFUSED\s+node1\//);
    expect(await on("node2", `mount -o ro ${drbdDisk} /mnt && md5sum < /mnt/keep; umount /mnt`)).toBe(keep);
  });

  it("apply with --force-device for that disk builds the whole stack", async () => {
    const r = await timed("apply --force-device (builds the rest)", () => gfsdeploy("apply", SPEC, "--yes", "--force-device", drbdDisk));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/changed\s+node2\/drbd\/r0\/create-md/);
  });

  it("GFS2 is mounted on both nodes with the spec's lock table and journal count", async () => {
    for (const n of both) expect(await on(n, "mount -t gfs2")).toMatch(/^\/dev\/mapper\/vg_gfs-lv_data on \/srv\/data type gfs2 .*noatime/m);
    expect(await on("node1", "tunegfs2 -l /dev/vg_gfs/lv_data")).toMatch(/^Lock table: gfstest:data$/m);
    expect(await on("node1", "gfs2_edit -p journals /dev/vg_gfs/lv_data | grep -c '^journal[0-9]'")).toBe("2");
  });

  it("a file written on one node is read byte-identical on the other, both ways", async () => {
    for (const [writer, reader] of [["node1", "node2"], ["node2", "node1"]] as const) {
      const sum = await on(writer, `head -c 4M /dev/urandom > /srv/data/from-${writer} && sync && md5sum < /srv/data/from-${writer}`);
      expect(await on(reader, `md5sum < /srv/data/from-${writer}`)).toBe(sum);
    }
    await on("node1", "md5sum /srv/data/from-node1 /srv/data/from-node2 > /root/e2e.md5");
  });

  it("DRBD is Primary/Primary, UpToDate/UpToDate, and managed by Pacemaker as a promotable clone", async () => {
    for (const n of both) {
      expect(await on(n, "drbdadm role r0")).toBe("Primary/Primary");
      expect(await on(n, "drbdadm dstate r0")).toBe("UpToDate/UpToDate");
    }
    const clone = /<clone id="drbd_r0-clone">[\s\S]*?<\/clone>/.exec(await on("node1", "cibadmin --query --scope resources"))?.[0] ?? "";
    expect(clone).toMatch(/<primitive (?=[^>]*id="drbd_r0")(?=[^>]*class="ocf")(?=[^>]*provider="linbit")(?=[^>]*type="drbd")/);
    expect(clone).toMatch(/name="promotable" value="true"/);
    expect(clone).toMatch(/name="promoted-max" value="2"/);
  });

  it("every clone runs on both nodes, stonith is started, nothing failed, no-quorum-policy=freeze", async () => {
    const mon = await on("node1", "crm_mon -1 --output-as=xml");
    for (const clone of ["drbd_r0-clone", "locking-clone", "data-group-clone"]) {
      const block = new RegExp(`<clone id="${clone}"[\\s\\S]*?</clone>`).exec(mon)?.[0] ?? "";
      for (const n of both) expect(block, `${clone} on ${n}`).toMatch(new RegExp(`role="(Started|Promoted)"[^>]*>\\s*<node name="${n}"`));
      expect(block).not.toMatch(/role="Stopped"/);
    }
    expect(mon).toMatch(/<resource id="sbd-fence" resource_agent="stonith:fence_sbd" role="Started"/);
    expect(mon).not.toMatch(/<failure /);
    expect(await on("node1", "crm_attribute -t crm_config -n no-quorum-policy -G -q")).toBe("freeze");
  });

  it("status shows both nodes online and quorate, DRBD Primary/UpToDate, the lockspaces and the mount", async () => {
    const r = await timed("status", () => gfsdeploy("status", SPEC));
    expect(r.code, r.out).toBe(0);
    for (const n of both) expect(r.out).toMatch(new RegExp(`^${n}\\s+online, quorate\\s+r0 Primary/Primary UpToDate/UpToDate Connected\\s+.*lvm_vg_gfs.*\\s+/srv/data mounted$`, "m"));
  });

  it("plan then reports nothing to change, reading each node in one batch, and a second apply changes nothing", async () => {
    // The yardstick the costs below are read against (the timing table prints both).
    await timed("pcs status on node1 (for scale)", () => on("node1", "pcs status"));
    const plan = await timed("no-op plan", () => gfsdeploy("plan", SPEC, "-v"));
    expect(plan.code, plan.out).toBe(0);
    // The connection's probe (it reads os-release) and one batch.
    expect(plan.out).toMatch(/^remote executions: node1 2, node2 2$/m);
    const again = await timed("no-op re-apply", () => gfsdeploy("apply", SPEC, "--yes", "-v"));
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/^0 changed, 0 to change, 0 pending, \d+ ok, 0 refused, 0 failed, 0 skipped/m);
    // The probe, the cluster lock and one batch.
    expect(again.out).toMatch(/^remote executions: node1 3, node2 3$/m);
  });

  const drifts: { name: string; step: string; make: () => Promise<unknown>; verify: () => Promise<void> }[] = [
    {
      name: "a pacemaker property",
      step: "cluster/cib/base",
      make: () => on("node1", "crm_attribute -t crm_config -n no-quorum-policy -v stop"),
      verify: async () => expect(await on("node2", "crm_attribute -t crm_config -n no-quorum-policy -G -q")).toBe("freeze"),
    },
    {
      name: "a removed constraint",
      step: "cluster/cib/filesystems",
      make: () => on("node1", "cibadmin --delete --xpath \"//rsc_colocation[@rsc='data-group-clone'][@with-rsc='locking-clone']\""),
      verify: async () => expect(await on("node1", "cibadmin --query --xpath \"//rsc_colocation[@rsc='data-group-clone'][@with-rsc='locking-clone']\"")).toMatch(/rsc_colocation/),
    },
    {
      name: "a changed resource option",
      step: "cluster/cib/base",
      make: () => on("node2", "crm_resource --resource sbd-fence --set-parameter pcmk_delay_max --parameter-value 7s"),
      verify: async () => expect(await on("node1", "cibadmin --query --scope resources")).not.toMatch(/pcmk_delay_max/),
    },
    {
      name: "an edited corosync.conf on one node",
      step: "node2/corosync/conf",
      make: () => on("node2", "sed -i 's/token: 10000/token: 9000/' /etc/corosync/corosync.conf"),
      verify: async () => expect(await on("node2", "corosync-cmapctl -g totem.token")).toMatch(/= 10000$/),
    },
    {
      name: "an edited DRBD resource file",
      step: "node1/drbd/r0/res",
      make: () => on("node1", "sed -i 's/after-sb-2pri disconnect/after-sb-2pri call-pri-lost-after-sb/' /etc/drbd.d/r0.res"),
      verify: async () => expect(await on("node1", "drbdadm dump r0")).toMatch(/after-sb-2pri\s+disconnect/),
    },
    {
      name: "an edited lvmlocal.conf",
      step: "node2/lvm/conf",
      make: () => on("node2", "sed -i 's/use_lvmlockd = 1/use_lvmlockd = 0/' /etc/lvm/lvmlocal.conf"),
      verify: async () => expect(await on("node2", "lvmconfig global/use_lvmlockd")).toBe("use_lvmlockd=1"),
    },
  ];

  it.each(drifts.map((d) => [d.name, d] as const))("drift: %s is reported by plan and corrected by apply", async (_name, drift) => {
    await drift.make();
    const plan = await timed(`drift ${drift.name}: plan`, () => gfsdeploy("plan", SPEC, "-v"));
    expect(plan.code, plan.out).toBe(3);
    // A drifted plan costs what a no-op one does.
    expect(plan.out).toMatch(/^remote executions: node1 2, node2 2$/m);
    expect(plan.out).toMatch(new RegExp(`change\\s+${drift.step.replace(/\//g, "\\/")}`));
    const fix = await timed(`drift ${drift.name}: apply`, () => gfsdeploy("apply", SPEC, "--yes"));
    expect(fix.code, fix.out).toBe(0);
    expect(fix.out).toMatch(new RegExp(`changed\\s+${drift.step.replace(/\//g, "\\/")}`));
    await drift.verify();
    const clean = await timed(`drift ${drift.name}: plan again`, () => gfsdeploy("plan", SPEC));
    expect(clean.code, clean.out).toBe(0);
    expect(await on("node2", "md5sum /srv/data/from-node1 /srv/data/from-node2")).toBe(await on("node1", "cat /root/e2e.md5"));
  });
});
