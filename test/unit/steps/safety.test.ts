/**
 * Data safety of the destructive steps: a device that holds data is refused by check and by
 * apply (which looks again right before the destructive command), unless the user named the
 * device in --force-device.
 */

import { describe, expect, it } from "vitest";

import { runSteps, type RunResult } from "../../../src/run/runner.js";
import type { RunEvent } from "../../../src/run/events.js";
import { handlers } from "../../../src/steps/registry.js";
import type { AnyStep } from "../../../src/plan/types.js";
import { apply, check, contextFor, lvmlockdPlan, lvmlockdPlanForcing, preparedNode, readOnlyCheck, secretStore, stepOf, testbedPlan } from "./harness.js";
import type { NodeSim, Signature } from "./node-sim.js";

const createMd = stepOf(lvmlockdPlan, "node1/drbd/r0/create-md", "drbd-create-md");
const pvcreate = stepOf(lvmlockdPlan, "cluster/lvm/pv/drbd0", "pvcreate");
const vgcreate = stepOf(lvmlockdPlan, "cluster/lvm/vg/vg_gfs", "vgcreate");
const mkfs = stepOf(lvmlockdPlan, "cluster/gfs2/data/mkfs", "mkfs-gfs2");
const sbdDevice = stepOf(testbedPlan, "cluster/sbd/device", "sbd-device");
const SBD_DISK = "/dev/disk/by-id/virtio-sbd";
const LV = "/dev/vg_gfs/lv_data";

/** The node-changing commands that started with `command`. */
const ran = (sim: NodeSim, command: string) => sim.mutations.filter((l) => l.startsWith(`${command} `));

/** A refusal's reason, or a failure naming what check said instead. */
function refusalOf(result: Awaited<ReturnType<typeof check>>): string {
  expect(result.status, JSON.stringify(result)).toBe("refuse");
  return result.status === "refuse" ? result.reason : "";
}

function backingDiskNode(signature?: Signature): NodeSim {
  return preparedNode("node1").disk("/dev/vdb", signature).drbdResource("r0", { disk: "/dev/vdb" });
}

/** r0 promoted here, so /dev/drbd0 exists. */
function drbdDeviceNode(): NodeSim {
  return preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate" } });
}

/** The shared LV with `signature`, active here (as Pacemaker leaves it once the filesystem stage ran). */
function lvNode(signature: Signature | undefined, active = true): NodeSim {
  return drbdDeviceNode()
    .pv("/dev/drbd0")
    .vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true })
    .lv("vg_gfs/lv_data", { size: "100%FREE", active, ...(signature ? { signature } : {}) });
}

/** Apply throws RefusedError, never runs `destructive`, and leaves `device` as it was. */
/**
 * Applies the step alone through the runner, as `gfsdeploy apply` does, and expects a refusal
 * with nothing written. `meanwhile` changes the node after the runner's check has read it and
 * found a change to make: only the runner's last look before a destructive write can see that.
 */
async function expectRefusedApply(step: AnyStep, sim: NodeSim, device: string, destructive: string, options: { forced?: string[]; meanwhile?: () => void } = {}): Promise<void> {
  const events: RunEvent[] = [];
  const result = await applyAlone(step, sim, { ...options, events });
  const before = structuredClone(sim.state.devices.get(device));
  expect(result.records.get(step.id)?.outcome).toBe("refused");
  if (options.meanwhile) expect(events.find((e) => e.type === "step-check")).toMatchObject({ result: { status: "change" } });
  expect(ran(sim, destructive), `${destructive} must not run`).toEqual([]);
  expect(sim.state.devices.get(device)?.signature).toEqual(before?.signature);
}

/** The step alone through the runner in apply mode; `meanwhile` runs once the runner's first read of the node is done. */
async function applyAlone(step: AnyStep, sim: NodeSim, options: { forced?: string[]; meanwhile?: () => void; events?: RunEvent[] } = {}): Promise<RunResult> {
  let batches = 0;
  const batch = sim.t.batch.bind(sim.t);
  sim.t.batch = async (commands, stdin) => {
    const results = await batch(commands, stdin);
    if (batches++ === 0) options.meanwhile?.();
    return results;
  };
  return runSteps(
    { apiVersion: "gfsdeploy/v1", cluster: "gfscluster", distro: "debian12", drbd: "8.4", pcs: "0.11", nodes: [], steps: [{ ...step, dependsOn: [] }] },
    { mode: "apply", transports: new Map([[step.host, sim.t]]), registry: handlers, context: { secrets: secretStore(), forced: new Set(options.forced ?? []), scripts: {}, pollMs: 0 }, subscribers: [(e) => options.events?.push(e)] },
  );
}

describe("drbd-create-md", () => {
  it("refuses a backing disk with an ext4 filesystem, in check and in apply", async () => {
    const sim = backingDiskNode({ type: "ext4" });
    const reason = refusalOf(await readOnlyCheck(sim, createMd, contextFor(sim)));
    expect(reason).toContain("/dev/vdb");
    expect(reason).toContain("ext4");
    await expectRefusedApply(createMd, sim, "/dev/vdb", "drbdadm create-md");
  });

  it("says how to overwrite on purpose", async () => {
    const sim = backingDiskNode({ type: "ext4" });
    expect(await check(createMd, contextFor(sim))).toMatchObject({ status: "refuse", hint: expect.stringContaining("--force-device /dev/vdb") as unknown });
  });

  it("overwrites the disk when it was named in --force-device", async () => {
    const sim = backingDiskNode({ type: "ext4" });
    const ctx = contextFor(sim, { forced: ["/dev/vdb"] });
    const forcedMd = stepOf(lvmlockdPlanForcing(["/dev/vdb"]), "node1/drbd/r0/create-md", "drbd-create-md");
    // The plan says what is overwritten and why, and shows the commands that will do it.
    expect(forcedMd.params.commands).toEqual([["wipefs", "--all", "/dev/vdb"], ["drbdadm", "create-md", "--force", "r0"]]);
    expect(await readOnlyCheck(sim, forcedMd, ctx)).toEqual({ status: "change", reason: "create DRBD metadata on /dev/vdb (forced over ext4)" });
    await apply(forcedMd, ctx);
    // drbdmeta refuses to write over a filesystem even with --force: the signature goes first.
    expect(ran(sim, "wipefs")).toEqual(["wipefs --all /dev/vdb"]);
    expect(ran(sim, "drbdadm create-md")).toEqual(["drbdadm create-md --force r0"]);
    expect(await check(forcedMd, ctx)).toMatchObject({ status: "ok" });
  });

  it("does not treat forcing another device as forcing this one", async () => {
    const sim = backingDiskNode({ type: "ext4" });
    expect((await check(createMd, contextFor(sim, { forced: ["/dev/vdc"] }))).status).toBe("refuse");
    await expectRefusedApply(createMd, sim, "/dev/vdb", "drbdadm create-md", { forced: ["/dev/vdc"] });
  });

  it("looks again right before create-md: data that appeared after check is refused", async () => {
    // GIVEN a blank disk, so check says change
    const sim = backingDiskNode();
    // WHEN someone makes a filesystem on it between the check and the apply
    // THEN apply refuses
    await expectRefusedApply(createMd, sim, "/dev/vdb", "drbdadm create-md", { meanwhile: () => sim.disk("/dev/vdb", { type: "xfs" }) });
  });

  it("refuses a disk with a partition table, and a disk that does not exist", async () => {
    const partitioned = backingDiskNode({ ptType: "gpt" });
    expect(refusalOf(await check(createMd, contextFor(partitioned)))).toContain("partition table gpt");
    const missing = preparedNode("node1").drbdResource("r0", { disk: "/dev/vdb" });
    expect(refusalOf(await check(createMd, contextFor(missing)))).toBe("/dev/vdb does not exist on node1");
  });

  it("leaves existing metadata alone, even on a forced disk", async () => {
    const sim = backingDiskNode({ type: "drbd" });
    const r0 = sim.state.drbd.get("r0");
    if (r0) r0.metadata = true;
    expect(await readOnlyCheck(sim, createMd, contextFor(sim, { forced: ["/dev/vdb"] }))).toEqual({ status: "ok", note: "DRBD metadata on the disk" });
  });

  it("keeps DRBD metadata the disk carries even when dump-md cannot read it (a re-run while Pacemaker brings r0 up)", async () => {
    // GIVEN a disk with DRBD's signature, but dump-md failing (resource being configured)
    const sim = backingDiskNode({ type: "drbd" });
    sim.t.on(["drbdadm", "dump-md", "r0"], { code: 20, stdout: "", stderr: "Device '0' is configured!" });
    // THEN check says ok, and apply never runs create-md
    expect(await readOnlyCheck(sim, createMd, contextFor(sim))).toEqual({ status: "ok", note: "DRBD metadata on the disk" });
    expect((await applyAlone(createMd, sim)).records.get(createMd.id)?.outcome).toBe("ok");
    expect(ran(sim, "drbdadm create-md")).toEqual([]);
  });
});

describe("pvcreate", () => {
  it("refuses /dev/drbd0 with an ext4 filesystem, in check and in apply", async () => {
    const sim = drbdDeviceNode().disk("/dev/drbd0", { type: "ext4" });
    const reason = refusalOf(await readOnlyCheck(sim, pvcreate, contextFor(sim)));
    expect(reason).toContain("/dev/drbd0");
    expect(reason).toContain("ext4");
    await expectRefusedApply(pvcreate, sim, "/dev/drbd0", "pvcreate");
  });

  it("overwrites it when it was named in --force-device, without stopping at pvcreate's wipe prompt", async () => {
    const sim = drbdDeviceNode().disk("/dev/drbd0", { type: "ext4" });
    const ctx = contextFor(sim, { forced: ["/dev/drbd0"] });
    const forcedPv = stepOf(lvmlockdPlanForcing(["/dev/drbd0"]), "cluster/lvm/pv/drbd0", "pvcreate");
    expect(forcedPv.params.commands).toEqual([["pvcreate", "-ff", "-y", "/dev/drbd0"]]);
    expect(await readOnlyCheck(sim, forcedPv, ctx)).toMatchObject({ status: "change" });
    await apply(forcedPv, ctx);
    // A plain `pvcreate` would ask before wiping ext4 and read "no": forced, it runs -ff -y.
    expect(ran(sim, "pvcreate")).toEqual(["pvcreate -ff -y /dev/drbd0"]);
    expect(sim.state.devices.get("/dev/drbd0")?.signature).toEqual({ type: "LVM2_member" });
    expect(await check(forcedPv, ctx)).toEqual({ status: "ok" });
  });

  it("runs a plain pvcreate on a blank device that was not forced", async () => {
    const sim = drbdDeviceNode();
    const ctx = contextFor(sim, { forced: ["/dev/vdc"] });
    expect(await readOnlyCheck(sim, pvcreate, ctx)).toEqual({ status: "change", reason: "pvcreate /dev/drbd0" });
    await apply(pvcreate, ctx);
    expect(ran(sim, "pvcreate")).toEqual(["pvcreate /dev/drbd0"]);
  });
});

describe("vgcreate", () => {
  it("refuses a PV that belongs to another VG", async () => {
    const sim = drbdDeviceNode().vg("vg_other", { lockType: "", pvs: ["/dev/drbd0"], lockStarted: false });
    expect(refusalOf(await readOnlyCheck(sim, vgcreate, contextFor(sim)))).toBe("/dev/drbd0 already belongs to VG vg_other");
  });

  it("refuses a VG of that name that is not shared, and names its lock type", async () => {
    // A local VG has an empty lock type, which vgs prints as blanks: the refusal calls it 'none'.
    const sim = drbdDeviceNode().vg("vg_gfs", { lockType: "", pvs: ["/dev/drbd0"], lockStarted: false });
    expect(refusalOf(await readOnlyCheck(sim, vgcreate, contextFor(sim)))).toBe("VG vg_gfs exists but is not shared (lock type 'none')");
  });
});

describe("mkfs-gfs2", () => {
  it("refuses an LV with another filesystem, in check and in apply", async () => {
    const sim = lvNode({ type: "xfs" });
    const reason = refusalOf(await readOnlyCheck(sim, mkfs, contextFor(sim)));
    expect(reason).toContain(LV);
    expect(reason).toContain("xfs");
    await expectRefusedApply(mkfs, sim, LV, "mkfs.gfs2");
  });

  it("refuses GFS2 with another lock table, naming both tables", async () => {
    const sim = lvNode({ type: "gfs2", lockTable: "othercluster:data" });
    const reason = refusalOf(await readOnlyCheck(sim, mkfs, contextFor(sim)));
    expect(reason).toBe(`${LV} holds GFS2 with lock table othercluster:data, the spec says gfscluster:data`);
    await expectRefusedApply(mkfs, sim, LV, "mkfs.gfs2");
  });

  it("keeps GFS2 with the spec's lock table", async () => {
    const sim = lvNode({ type: "gfs2", lockTable: "gfscluster:data" });
    expect(await readOnlyCheck(sim, mkfs, contextFor(sim))).toEqual({ status: "ok" });
  });

  it.each([
    ["another filesystem", { type: "xfs" }],
    ["GFS2 with another lock table", { type: "gfs2", lockTable: "othercluster:data" }],
  ])("re-creates the filesystem over %s when the LV was named in --force-device", async (_what, signature: Signature) => {
    const sim = lvNode(signature);
    const ctx = contextFor(sim, { forced: [LV] });
    expect(await readOnlyCheck(sim, mkfs, ctx)).toMatchObject({ status: "change", reason: expect.stringContaining("forced") as unknown });
    await apply(mkfs, ctx);
    expect(ran(sim, "mkfs.gfs2")).toHaveLength(1);
    expect(sim.state.devices.get(LV)?.signature).toMatchObject({ type: "gfs2", lockTable: "gfscluster:data", journalsMb: [64, 64] });
  });

  it("looks at an inactive LV right before mkfs: data found after activation is refused", async () => {
    // GIVEN an inactive LV: check cannot see inside and says change
    const sim = lvNode({ type: "ext4" }, false);
    expect((await readOnlyCheck(sim, mkfs, contextFor(sim))).status).toBe("change");
    // THEN apply activates it, sees ext4 and refuses before mkfs.gfs2
    await expectRefusedApply(mkfs, sim, LV, "mkfs.gfs2");
  });

  it("re-running apply over an inactive LV that already holds this filesystem keeps it and converges", async () => {
    // GIVEN GFS2 made by an earlier run on an LV that is not active here (another node, or Pacemaker stopped it)
    const sim = lvNode({ type: "gfs2", lockTable: "gfscluster:data" }, false);
    // WHEN apply runs the step again
    const result = await runSteps(
      { apiVersion: "gfsdeploy/v1", cluster: "gfscluster", distro: "debian12", drbd: "8.4", pcs: "0.11", nodes: [], steps: [{ ...mkfs, dependsOn: [] }] },
      { mode: "apply", transports: new Map([["node1", sim.t]]), registry: handlers, context: { secrets: secretStore(), forced: new Set(), scripts: {}, pollMs: 0 }, subscribers: [] },
    );
    // THEN it neither refuses nor re-creates the filesystem, and says so rather than "changed"
    expect(result.records.get(mkfs.id)).toMatchObject({ outcome: "ok", reason: "/dev/vg_gfs/lv_data already holds GFS2 gfscluster:data, kept (activated here to look)" });
    expect(ran(sim, "mkfs.gfs2")).toEqual([]);
    // AND the LV it activated to look stays active, so the re-check reads the filesystem
    expect(sim.mutations).toEqual(["vgchange --lockstart vg_gfs", "lvchange --activate sy vg_gfs/lv_data"]);
    expect(sim.state.lvs.get("vg_gfs/lv_data")?.active).toBe(true);
  });
});

describe("sbd-device", () => {
  it("keeps a header with the spec's timeouts", async () => {
    const sim = preparedNode("node1").disk(SBD_DISK);
    sim.state.sbd.set(SBD_DISK, { watchdog: 30, msgwait: 60 });
    expect(await readOnlyCheck(sim, sbdDevice, contextFor(sim))).toEqual({ status: "ok" });
  });

  it("refuses a header with other timeouts, naming the device and both timeouts", async () => {
    const sim = preparedNode("node1").disk(SBD_DISK);
    sim.state.sbd.set(SBD_DISK, { watchdog: 5, msgwait: 10 });
    expect(refusalOf(await readOnlyCheck(sim, sbdDevice, contextFor(sim)))).toBe(`SBD header on ${SBD_DISK} has watchdog 5s / msgwait 10s, the spec wants 30s / 60s`);
  });

  it("refuses, in apply too, a header with other timeouts (written since check)", async () => {
    const sim = preparedNode("node1").disk(SBD_DISK);
    await expectRefusedApply(sbdDevice, sim, SBD_DISK, "sbd", { meanwhile: () => sim.state.sbd.set(SBD_DISK, { watchdog: 5, msgwait: 10 }) });
    expect(sim.state.sbd.get(SBD_DISK)).toEqual({ watchdog: 5, msgwait: 10 });
  });

  it("rewrites a header with other timeouts when the device was named in --force-device, as the hint says", async () => {
    const sim = preparedNode("node1").disk(SBD_DISK);
    sim.state.sbd.set(SBD_DISK, { watchdog: 5, msgwait: 10 });
    const ctx = contextFor(sim, { forced: [SBD_DISK] });
    expect((await readOnlyCheck(sim, sbdDevice, ctx)).status).toBe("change");
    await apply(sbdDevice, ctx);
    expect(sim.state.sbd.get(SBD_DISK)).toEqual({ watchdog: 30, msgwait: 60 });
    expect(await check(sbdDevice, ctx)).toEqual({ status: "ok" });
  });

  it("refuses a disk with a filesystem and no SBD header, in check and in apply", async () => {
    const sim = preparedNode("node1").disk(SBD_DISK, { type: "ext4" });
    const reason = refusalOf(await readOnlyCheck(sim, sbdDevice, contextFor(sim)));
    expect(reason).toContain(SBD_DISK);
    expect(reason).toContain("ext4");
    await expectRefusedApply(sbdDevice, sim, SBD_DISK, "sbd");
  });

  describe("with two devices, which one `sbd create` writes together", () => {
    const second = "/dev/disk/by-id/virtio-sbd2";
    const step = { ...sbdDevice, params: { ...sbdDevice.params, devices: [SBD_DISK, second], commands: [["sbd", "-d", SBD_DISK, "-d", second, "-1", "30", "-4", "60", "create"]] } };

    it("refuses when any device has a header with other timeouts, not only the first", async () => {
      // GIVEN two devices: the first blank, the second with another cluster's header
      const sim = preparedNode("node1").disk(SBD_DISK).disk(second);
      sim.state.sbd.set(second, { watchdog: 5, msgwait: 10 });
      // THEN check refuses instead of planning a create that rewrites both
      expect(refusalOf(await readOnlyCheck(sim, step, contextFor(sim)))).toContain(second);
    });

    it("refuses a filesystem on the second device while the first already has the right header", async () => {
      const sim = preparedNode("node1").disk(SBD_DISK).disk(second, { type: "xfs" });
      sim.state.sbd.set(SBD_DISK, { watchdog: 30, msgwait: 60 });
      const reason = refusalOf(await readOnlyCheck(sim, step, contextFor(sim)));
      expect(reason).toContain(second);
      expect(reason).toContain("xfs");
    });

    it("rewrites a forced device with other timeouts along with a blank one, naming both", async () => {
      const sim = preparedNode("node1").disk(SBD_DISK).disk(second);
      sim.state.sbd.set(second, { watchdog: 5, msgwait: 10 });
      const ctx = contextFor(sim, { forced: [second] });
      expect(await readOnlyCheck(sim, step, ctx)).toEqual({ status: "change", reason: `write the SBD header on ${SBD_DISK}, ${second}` });
      await apply(step, ctx);
      expect(sim.state.sbd.get(SBD_DISK)).toEqual({ watchdog: 30, msgwait: 60 });
      expect(sim.state.sbd.get(second)).toEqual({ watchdog: 30, msgwait: 60 });
      expect(await check(step, ctx)).toEqual({ status: "ok" });
    });

    it("judges every device again in apply: data on the second device since check is refused", async () => {
      // GIVEN two blank devices, so check says change
      const sim = preparedNode("node1").disk(SBD_DISK).disk(second);
      // WHEN someone makes a filesystem on the second between the check and the apply
      // THEN apply refuses, and neither device is written
      await expectRefusedApply(step, sim, second, "sbd", { meanwhile: () => sim.disk(second, { type: "ext4" }) });
      expect(sim.state.sbd.size).toBe(0);
    });

    it("judges every device again in apply: another header on the second device since check is refused", async () => {
      const sim = preparedNode("node1").disk(SBD_DISK).disk(second);
      await expectRefusedApply(step, sim, second, "sbd", { meanwhile: () => sim.state.sbd.set(second, { watchdog: 5, msgwait: 10 }) });
      expect(sim.state.sbd.get(second)).toEqual({ watchdog: 5, msgwait: 10 });
      expect(sim.state.sbd.has(SBD_DISK)).toBe(false);
    });
  });
});
