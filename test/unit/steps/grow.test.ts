/**
 * Day-2 changes made by editing the spec: a bigger LV is extended and its GFS2 grown online,
 * missing journals are added; what GFS2 cannot do (shrink, drop journals, resize a journal)
 * is refused or explained, and never attempted.
 */

import { describe, expect, it } from "vitest";

import { textSubscriber } from "../../../src/cli/ui/text.js";
import type { AnyStep, Plan } from "../../../src/plan/types.js";
import { runSteps, type RunResult } from "../../../src/run/runner.js";
import { handlers } from "../../../src/steps/registry.js";
import { formatBytes, sizeBytes, specSize } from "../../../src/steps/sizes.js";
import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadTemplates } from "../../../src/cli/templates.js";
import { compile } from "../../../src/plan/compile.js";
import { contextFor, preparedNode, readOnlyCheck, secretStore, stepOf, testbedPlan } from "./harness.js";
import { drbdDeviceBytes, type NodeSim, type Signature } from "./node-sim.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const LV = "/dev/vg_gfs/lv_data";
const T = <K extends AnyStep["kind"]>(id: string, kind: K) => stepOf(testbedPlan, id, kind);
// The test bed's spec: lv_data 3G, GFS2 `data` at /srv/data with two journals of 32M.
const lvcreate = T("cluster/lvm/lv/vg_gfs/lv_data", "lvcreate");
const extend = T("cluster/lvm/lv/vg_gfs/lv_data/extend", "lvextend");
const refresh = T("node2/lvm/lv/vg_gfs/lv_data/refresh", "lv-refresh");
const grow = T("cluster/gfs2/data/grow", "gfs2-grow");
const journals = T("cluster/gfs2/data/journals", "gfs2-journals");

/** A node of the running test bed: lv_data `lvBytes` big, active here, GFS2 on it (mounted unless told). */
function node(name: string, lvBytes: number, fs: Partial<Signature> = {}, options: { mounted?: boolean } = {}): NodeSim {
  const sim = preparedNode(name)
    .disk("/dev/drbd0", { type: "LVM2_member" })
    .vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true })
    .lv("vg_gfs/lv_data", { size: "3G", bytes: lvBytes, active: true, signature: { type: "gfs2", lockTable: "gfstest:data", fsBytes: lvBytes - 4096, journalsMb: [32, 32], ...fs } });
  return options.mounted === false ? sim : sim.mount("/srv/data", LV);
}

/**
 * Both nodes of the test bed, sharing what lives on the replicated disk (LVM's metadata, the
 * filesystem) and each with its own kernel view of the LV.
 */
function cluster(lvBytes: number, fs: Partial<Signature> = {}): [NodeSim, NodeSim] {
  const node1 = node("node1", lvBytes, fs);
  const node2 = node("node2", lvBytes);
  const lv = node1.state.lvs.get("vg_gfs/lv_data");
  const gfs2 = node1.state.devices.get(LV)?.signature;
  const device2 = node2.state.devices.get(LV);
  if (!lv || !gfs2 || !device2) throw new Error("node() makes lv_data with GFS2 on it");
  node2.state.lvs.set("vg_gfs/lv_data", lv);
  device2.signature = gfs2;
  return [node1, node2];
}

/** These steps of the test bed's plan, with their order among themselves. */
function partOfTestbed(steps: AnyStep[]): Plan {
  return { ...testbedPlan, steps: steps.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => steps.some((u) => u.id === d)) })) };
}

/** The day-2 steps of the test bed's plan. */
const day2 = partOfTestbed([lvcreate, extend, refresh, grow, journals]);

async function run(mode: "plan" | "apply", sims: NodeSim[], plan: Plan = day2): Promise<{ result: RunResult; lines: string[] }> {
  let text = "";
  const result = await runSteps(plan, {
    mode,
    transports: new Map(sims.map((s) => [s.name, s.t])),
    registry: handlers,
    context: { secrets: secretStore(), forced: new Set(), scripts: {}, pollMs: 0 },
    subscribers: [textSubscriber((t) => (text += t), true)],
  });
  return { result, lines: text.split("\n").filter((l) => l.startsWith(" ")) };
}

describe("sizes", () => {
  it("reads spec sizes as lvcreate -L does, in powers of 1024; a % size has no byte count", () => {
    expect([sizeBytes("3G"), sizeBytes("1.5T"), sizeBytes("512M"), sizeBytes("100%FREE"), sizeBytes("80%VG")]).toEqual([3 * GIB, 1.5 * 1024 * GIB, 512 * MIB, undefined, undefined]);
  });

  it("writes a size back as the spec would, exactly", () => {
    expect([3 * GIB, 3 * GIB + 4 * MIB, 1536 * MIB, 4096, 100].map(specSize)).toEqual(["3G", "3076M", "1536M", "4K", "1K"]);
  });

  it("prints sizes exactly, or marked as just under or over what two decimals show", () => {
    expect([3 * GIB, 3.5 * GIB, 512 * MIB, 4 * GIB - 4 * MIB, 2 * GIB + 4096, GIB - 8192, 100].map(formatBytes)).toEqual(["3G", "3.5G", "512M", "<4.00G", ">2.00G", "<1.00G", "100B"]);
  });
});

describe("day 2 on the test bed: the spec's lv_data grew from 2G to 3G and asks for a second journal", () => {
  it("plan lists lvextend, node2's refresh, gfs2_grow and gfs2_jadd; apply makes them, and a new plan finds nothing to do", async () => {
    // GIVEN lv_data at 2G with its GFS2 filling it, one journal, mounted on both nodes
    const sims = cluster(2 * GIB, { journalsMb: [32] });
    // WHEN planned
    const planned = await run("plan", sims);
    // THEN every change is listed before any is made
    expect(planned.lines).toEqual([
      "      ok  cluster/lvm/lv/vg_gfs/lv_data: 2G, smaller than the spec's 3G: the grow phase extends it",
      "  change  cluster/lvm/lv/vg_gfs/lv_data/extend: lvextend vg_gfs/lv_data from 2G to 3G",
      "  change  node2/lvm/lv/vg_gfs/lv_data/refresh: lvchange --refresh vg_gfs/lv_data after the lvextend to 3G",
      "  change  cluster/gfs2/data/grow: gfs2_grow /srv/data: /dev/vg_gfs/lv_data will be 3G after lvextend, the filesystem <2.00G",
      "  change  cluster/gfs2/data/journals: gfs2_jadd -j 1 -J 32 /srv/data: 1 → 2 journals",
    ]);
    expect(sims.flatMap((s) => s.mutations)).toEqual([]);
    // WHEN applied
    const applied = await run("apply", sims);
    // THEN each ran where it must: lvextend and the online grow and jadd on node1, the refresh on node2
    expect(Object.fromEntries([...applied.result.records].map(([id, r]) => [id, r.outcome]))).toEqual({ [lvcreate.id]: "ok", [extend.id]: "changed", [refresh.id]: "changed", [grow.id]: "changed", [journals.id]: "changed" });
    expect(sims[0].mutations).toEqual(["vgchange --lockstart vg_gfs", "lvextend -L 3G vg_gfs/lv_data", "gfs2_grow /srv/data", "gfs2_jadd -j 1 -J 32 /srv/data"]);
    expect(sims[1].mutations).toEqual(["lvchange --refresh vg_gfs/lv_data"]);
    expect(sims.map((s) => s.state.devices.get(LV)?.bytes)).toEqual([3 * GIB, 3 * GIB]);
    expect(sims[0].state.devices.get(LV)?.signature).toMatchObject({ fsBytes: 3 * GIB - 4096, journalsMb: [32, 32] });
    // AND the next plan has nothing to do
    expect((await run("plan", sims)).lines).toEqual(["      ok  cluster/lvm/lv/vg_gfs/lv_data", "      ok  cluster/lvm/lv/vg_gfs/lv_data/extend", "      ok  node2/lvm/lv/vg_gfs/lv_data/refresh", "      ok  cluster/gfs2/data/grow", "      ok  cluster/gfs2/data/journals"]);
    expect(sims.flatMap((s) => s.unknown)).toEqual([]);
  });

  it("a spec that shrinks the LV is refused, and what depends on it is skipped", async () => {
    // GIVEN lv_data at 4G; the spec says 3G
    const sims = cluster(4 * GIB);
    // WHEN applied
    const { result, lines } = await run("apply", sims);
    // THEN nothing ran, and the refusal says why and what to do
    expect(sims.flatMap((s) => s.mutations)).toEqual([]);
    expect(result.records.get(lvcreate.id)?.error).toEqual({
      message: "LV vg_gfs/lv_data is 4G, the spec says 3G: GFS2 cannot shrink, so gfsdeploy never reduces an LV",
      hint: "set its size to 4G (or more) in the spec; for a smaller filesystem, make a new LV and filesystem and copy the data over",
    });
    expect(lines).toEqual(expect.arrayContaining([" skipped  cluster/lvm/lv/vg_gfs/lv_data/extend: upstream cluster/lvm/lv/vg_gfs/lv_data refused", " skipped  cluster/gfs2/data/grow: upstream cluster/lvm/lv/vg_gfs/lv_data refused"]));
  });
});

describe("day 2 with node2's lvmlocal.conf drifted to use_lvmlockd = 0 (seen on the test bed)", () => {
  const lvmConf = ["node1", "node2"].map((n) => T(`${n}/lvm/conf`, "file"));
  const withConf = partOfTestbed([...lvmConf, lvcreate, extend, refresh, grow, journals]);

  it("plan reports the drift, and the refresh node2's LVM cannot judge yet as pending behind it, not as an error", async () => {
    // GIVEN the running test bed, each node's lvmlocal.conf as gfsdeploy wrote it, then node2's edited by hand
    const sims = cluster(3 * GIB);
    for (const [i, sim] of sims.entries()) sim.t.setFile("/etc/lvm/lvmlocal.conf", lvmConf[i]?.params.content ?? "");
    sims[1].t.setFile("/etc/lvm/lvmlocal.conf", (lvmConf[1]?.params.content ?? "").replace("use_lvmlockd = 1", "use_lvmlockd = 0"));
    expect(sims[1].t.fileText("/etc/lvm/lvmlocal.conf")).toMatch(/^\s*use_lvmlockd = 0$/m);
    // WHEN planned
    const planned = await run("plan", sims, withConf);
    // THEN the plan has changes to make (exit 3) and nothing failed (exit 1): the refresh waits for the config
    expect(planned.result.counts).toMatchObject({ change: 1, pending: 1, failed: 0, refused: 0 });
    expect(planned.result.records.get("node2/lvm/conf")?.outcome).toBe("change");
    expect(planned.result.records.get(refresh.id)).toMatchObject({
      outcome: "pending",
      reason: "after node2/lvm/conf (cannot inspect yet: lvs vg_gfs/lv_data exited 5: Cannot access VG vg_gfs with lock type dlm that requires lvmlockd.)",
    });
    expect(sims.flatMap((s) => s.mutations)).toEqual([]);
    // WHEN applied, THEN the config is put right, and with it node2's LVM sees the LV again: nothing else to do
    const applied = await run("apply", sims, withConf);
    expect(Object.fromEntries([...applied.result.records].map(([id, r]) => [id, r.outcome]))).toMatchObject({ "node2/lvm/conf": "changed", [refresh.id]: "ok", [grow.id]: "ok", [journals.id]: "ok" });
    expect((await run("plan", sims, withConf)).result.counts).toMatchObject({ ok: 7 });
  });
});

describe("day 2 on the test bed: both nodes' 4 GiB DRBD disks grew to 5 GiB and the spec's lv_data to 4G", () => {
  const DISK = "/dev/disk/by-id/virtio-drbd";
  const spec = testbedSpec();
  const lvData = spec.lvm.volumeGroups[0]?.logicalVolumes[0];
  if (lvData) lvData.size = "4G";
  const grown = compile(spec, loadTemplates(), loadPlaybook("site"));
  const G = <K extends AnyStep["kind"]>(id: string, kind: K) => stepOf(grown, id, kind);
  const resize = G("cluster/drbd/r0/resize", "drbd-resize");
  const pvresize = G("cluster/lvm/pv/drbd0/resize", "pvresize");
  const plan = partOfTestbed([resize, pvresize, G(lvcreate.id, "lvcreate"), G(extend.id, "lvextend"), G(refresh.id, "lv-refresh"), G(grow.id, "gfs2-grow"), G(journals.id, "gfs2-journals")]);

  /** The running test bed with r0 on 4 GiB of each node's backing disk, which is now `bytes[node]` big. */
  function grownDisks(bytes: [number, number]): [NodeSim, NodeSim] {
    const sims = cluster(3 * GIB);
    sims.forEach((sim, i) => {
      const peer = bytes[1 - i] ?? 0;
      sim
        .disk(DISK, { type: "drbd" })
        .sized(DISK, bytes[i] ?? 0)
        .drbdResource("r0", { disk: DISK, metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate", backingBytes: peer } })
        .sized("/dev/drbd0", drbdDeviceBytes(4 * GIB));
    });
    return sims;
  }

  it("plan lists drbdadm resize, then pvresize, lvextend, refresh and gfs2_grow; apply makes them in that order; a new plan finds nothing", async () => {
    // GIVEN both backing disks at 5 GiB, DRBD still on 4 GiB; the VG's 1020 MiB free cannot hold another 1 GiB for lv_data
    const sims = grownDisks([5 * GIB, 5 * GIB]);
    // WHEN planned
    const planned = await run("plan", sims, plan);
    // THEN the whole chain is listed, nothing made
    expect(planned.lines).toEqual([
      `  change  cluster/drbd/r0/resize: drbdadm resize r0: ${DISK} on node1 is 5G, /dev/drbd0 <4.00G (the other nodes' disks must have grown too)`,
      "      ok  cluster/lvm/lv/vg_gfs/lv_data: 3G, smaller than the spec's 4G: the grow phase extends it",
      "  change  cluster/lvm/pv/drbd0/resize: pvresize /dev/drbd0 after drbdadm resize r0",
      "  change  cluster/lvm/lv/vg_gfs/lv_data/extend: lvextend vg_gfs/lv_data from 3G to 4G",
      "  change  node2/lvm/lv/vg_gfs/lv_data/refresh: lvchange --refresh vg_gfs/lv_data after the lvextend to 4G",
      "  change  cluster/gfs2/data/grow: gfs2_grow /srv/data: /dev/vg_gfs/lv_data will be 4G after lvextend, the filesystem <3.00G",
      "      ok  cluster/gfs2/data/journals",
    ]);
    expect(sims.flatMap((s) => s.mutations)).toEqual([]);
    // WHEN applied
    await run("apply", sims, plan);
    // THEN DRBD grew before the PV, the PV before the LV, the LV before the filesystem
    expect(sims[0].mutations).toEqual(["drbdadm resize r0", "pvresize /dev/drbd0", "vgchange --lockstart vg_gfs", "lvextend -L 4G vg_gfs/lv_data", "gfs2_grow /srv/data"]);
    expect(sims[1].mutations).toEqual(["lvchange --refresh vg_gfs/lv_data"]);
    expect(sims[0].state.devices.get("/dev/drbd0")?.bytes).toBe(drbdDeviceBytes(5 * GIB));
    expect(sims[0].state.devices.get(LV)?.signature?.fsBytes).toBe(4 * GIB - 4096);
    // AND the next plan has nothing to do
    const again = await run("plan", sims, plan);
    expect(again.result.counts).toMatchObject({ ok: 7 });
    expect(sims.flatMap((s) => s.unknown)).toEqual([]);
  });

  it("a DRBD resource just made on its disks shows no resize: its metadata is allowed for", async () => {
    // GIVEN the disks at 4 GiB, DRBD using what 8.4's internal metadata leaves
    const sims = grownDisks([4 * GIB, 4 * GIB]);
    const { result } = await run("plan", sims, partOfTestbed([resize, pvresize]));
    expect(Object.fromEntries([...result.records].map(([id, r]) => [id, r.outcome]))).toEqual({ [resize.id]: "ok", [pvresize.id]: "ok" });
  });

  it("when only node1's disk grew, apply fails, saying why, after drbdadm resize leaves DRBD's size as it was, and nothing above DRBD is touched", async () => {
    // GIVEN node2's disk still at 4 GiB, which node1's check cannot see: it plans the resize
    const sims = grownDisks([5 * GIB, 4 * GIB]);
    expect(await readOnlyCheck(sims[0], resize, contextFor(sims[0]))).toMatchObject({ status: "change" });
    // WHEN applied, THEN the resize did not take, and that is a failure, not a refusal: nothing was refused
    const { result } = await run("apply", sims, plan);
    expect(result.records.get(resize.id)).toMatchObject({
      outcome: "failed",
      error: {
        message: "/dev/drbd0 is still <4.00G after drbdadm resize r0: DRBD grows to the smallest backing disk of all nodes, so another node's has not grown",
        hint: "grow r0's backing disk on every node (drbd.resources[].disk or disks in the spec), then apply again",
      },
    });
    expect(result.records.get(pvresize.id)?.outcome).toBe("skipped");
    expect(sims.flatMap((s) => s.mutations)).toEqual(["drbdadm resize r0"]);
  });
});

describe("lvcreate on an existing LV", () => {
  it("takes an LV rounded up to whole extents as the size asked for", async () => {
    // GIVEN 3G + one 4 MiB extent less a byte: what lvcreate -L of a size just over 3G makes is still "3G"
    const sim = node("node1", 3 * GIB + 4 * MIB - 4096);
    expect(await readOnlyCheck(sim, lvcreate, contextFor(sim))).toEqual({ status: "ok" });
  });

  it("refuses an LV one extent bigger than the spec's size, and names a size the spec can take", async () => {
    const sim = node("node1", 3 * GIB + 4 * MIB);
    expect(await readOnlyCheck(sim, lvcreate, contextFor(sim))).toEqual({
      status: "refuse",
      reason: "LV vg_gfs/lv_data is >3.00G, the spec says 3G: GFS2 cannot shrink, so gfsdeploy never reduces an LV",
      hint: "set its size to 3076M (or more) in the spec; for a smaller filesystem, make a new LV and filesystem and copy the data over",
    });
  });

  it("leaves an LV made with a % size alone, however big it is now", async () => {
    const step = { ...lvcreate, params: { ...lvcreate.params, size: "100%FREE" } };
    const sim = node("node1", 1 * GIB);
    expect(await readOnlyCheck(sim, step, contextFor(sim))).toEqual({ status: "ok" });
  });
});

describe("lv-refresh", () => {
  it("has nothing to do where the LV is not active: activation reads the current size", async () => {
    const sim = preparedNode("node2").disk("/dev/drbd0").vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true }).lv("vg_gfs/lv_data", { size: "3G", active: false });
    expect(await readOnlyCheck(sim, refresh, contextFor(sim))).toEqual({ status: "ok", note: "not active here" });
  });
});

describe("gfs2-grow", () => {
  it("leaves less than one resource group (32 MiB) at the device's end unused, as gfs2_grow does", async () => {
    const sim = node("node1", 3 * GIB, { fsBytes: 3 * GIB - 31 * MIB });
    expect(await readOnlyCheck(sim, grow, contextFor(sim))).toEqual({ status: "ok" });
  });

  it("cannot judge a device without GFS2 yet: a plan reports it pending after mkfs", async () => {
    const sim = preparedNode("node1").disk("/dev/drbd0").vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true }).lv("vg_gfs/lv_data", { size: "3G", active: true });
    expect(await readOnlyCheck(sim, grow, contextFor(sim))).toEqual({ status: "pending", why: "no GFS2 on /dev/vg_gfs/lv_data yet" });
  });

  it("sees a grown device while the filesystem is not mounted here: pending on the mount, and apply never runs gfs2_grow (which would exit 0 without growing)", async () => {
    // GIVEN the LV grown to 3G, its 2G GFS2 not mounted on node1
    const sim = node("node1", 3 * GIB, { fsBytes: 2 * GIB }, { mounted: false });
    // THEN check says what is due, and what it waits for
    const why = "gfs2_grow waits for /srv/data to be mounted on node1 (it works only through the mount): /dev/vg_gfs/lv_data is 3G, the filesystem 2G";
    expect(await readOnlyCheck(sim, grow, contextFor(sim))).toEqual({ status: "pending", why });
    // AND apply, where nothing upstream is left to mount it, fails the step with that reason and runs nothing
    const { result } = await run("apply", [sim], partOfTestbed([grow]));
    expect(result.records.get(grow.id)).toMatchObject({ outcome: "failed", error: { message: `${grow.id} on node1 cannot be judged: ${why}` } });
    expect(sim.mutations).toEqual([]);
  });
});

describe("gfs2-journals", () => {
  it("refuses fewer journals than the filesystem has: GFS2 cannot remove one", async () => {
    // GIVEN three journals; the spec says two
    const sim = node("node1", 3 * GIB, { journalsMb: [32, 32, 32] });
    expect(await readOnlyCheck(sim, journals, contextFor(sim))).toEqual({
      status: "refuse",
      reason: "/dev/vg_gfs/lv_data has 3 journals, the spec says 2: GFS2 cannot remove a journal",
      hint: "set journals: 3 in the spec; a spare journal costs only its space",
    });
  });

  it("explains a new journalSize for existing journals and changes nothing; plan -v shows the note", async () => {
    // GIVEN two journals of 64 MB; the spec says 32M
    const sims = cluster(3 * GIB, { journalsMb: [64, 64] });
    const note = "journalSize 32M is not applied: existing journals keep 64 MB (GFS2 cannot resize a journal); only journals added later get 32 MB";
    expect(await readOnlyCheck(sims[0], journals, contextFor(sims[0]))).toEqual({ status: "ok", note });
    // WHEN applied, THEN nothing runs, and the verbose display carries the note
    const { lines } = await run("apply", sims);
    expect(sims.flatMap((s) => s.mutations)).toEqual([]);
    expect(lines).toContain(`      ok  cluster/gfs2/data/journals: ${note}`);
  });

  it("waits for the mount where the filesystem is not mounted: gfs2_jadd needs it, so apply never runs it", async () => {
    const sim = node("node1", 3 * GIB, { journalsMb: [32] }, { mounted: false });
    expect(await readOnlyCheck(sim, journals, contextFor(sim))).toEqual({ status: "pending", why: "gfs2_jadd waits for /srv/data to be mounted on node1 (it works only through the mount): 1 → 2 journals" });
    const { result } = await run("apply", [sim], partOfTestbed([journals]));
    expect(result.records.get(journals.id)?.outcome).toBe("failed");
    expect(sim.mutations).toEqual([]);
  });

  it("in a plan, is pending after the wait for the filesystem clone that mounts it", async () => {
    // GIVEN one journal, the filesystem not mounted on node1 and its clone not started there yet
    const sim = node("node1", 3 * GIB, { journalsMb: [32] }, { mounted: false }).clusterRunning([{ name: "node2", online: true }]);
    const wait = T("cluster/wait/filesystems", "wait-resources");
    const { result } = await run("plan", [sim], partOfTestbed([wait, grow, journals]));
    expect(result.records.get(wait.id)?.outcome).toBe("change");
    expect(result.records.get(journals.id)).toMatchObject({ outcome: "pending", reason: expect.stringMatching(/^after cluster\/wait\/filesystems \(cannot inspect yet: gfs2_jadd waits for \/srv\/data/) as unknown });
  });
});
