/**
 * `gfsdeploy destroy` over two simulated nodes of one cluster: the real handlers behind the
 * real runner, from the cluster the lvmlockd fixture builds. The teardown goes in order,
 * keeps the data unless wiping, and a second run (or a plan) finds nothing to do.
 */

import { describe, expect, it } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadScripts } from "../../../src/cli/templates.js";
import { compileDestroy } from "../../../src/plan/destroy.js";
import { refusalMessage } from "../../../src/plan/select.js";
import type { Plan } from "../../../src/plan/types.js";
import type { RunEvent } from "../../../src/run/events.js";
import { runSteps, type RunResult } from "../../../src/run/runner.js";
import { handlers } from "../../../src/steps/registry.js";
import { AUTHKEY, check, contextFor, IPMI_PASSWORDS, lvmlockdDestroyPlan, lvmlockdPlan, lvmlockdWipePlan, preparedNode, secretStore, stepOf } from "./harness.js";
import { NodeSim } from "./node-sim.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const NODES = ["node1", "node2"] as const;
const RES_FILE = "/etc/drbd.d/r0.res";
const CIB_FILE = "/var/lib/pacemaker/cib/cib.xml";

/** Both nodes as apply leaves them: cluster running, r0 Primary on both, GFS2 mounted on lv_data. */
function appliedCluster(): NodeSim[] {
  const file = (node: string, id: string) => stepOf(lvmlockdPlan, `${node}/${id}`, "file").params;
  const sims = NODES.map((name, i) => {
    const sim = preparedNode(name);
    for (const id of ["corosync/conf", "drbd/global", "drbd/r0/res", "lvm/conf"]) sim.t.setFile(file(name, id).path, file(name, id).content);
    sim.t.setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 }).setFile(CIB_FILE, "<cib/>");
    for (const [j, password] of IPMI_PASSWORDS.entries()) sim.t.setFile(`/etc/gfsdeploy/secrets/fence-node${j + 1}.password`, password, { mode: 0o600 });
    return sim
      .clusterRunning([{ name: NODES[1 - i] as string, online: true }])
      .disk("/dev/vdb", { type: "drbd" })
      .drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate" } })
      .vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true })
      .lv("vg_gfs/lv_data", { size: "100%FREE", active: true, signature: { type: "gfs2", lockTable: "gfscluster:data" } });
  });
  NodeSim.link(...sims);
  const cib = (id: string) => stepOf(lvmlockdPlan, id, "cib").params.commands;
  sims[0]?.loadCib([...cib("cluster/cib/base"), ...cib("cluster/cib/filesystems")]);
  for (const sim of sims) sim.pacemakerSettles();
  return sims;
}

async function run(plan: Plan, sims: NodeSim[], mode: "plan" | "apply", events: RunEvent[] = []): Promise<RunResult> {
  return runSteps(plan, {
    mode,
    transports: new Map(sims.map((s) => [s.name, s.t])),
    registry: handlers,
    context: { secrets: secretStore(), forced: new Set(), scripts: loadScripts(), pollMs: 0 },
    subscribers: [(e) => events.push(e)],
  });
}

const outcomes = (r: RunResult) => [...r.records].filter(([, rec]) => rec.outcome !== "changed" && rec.outcome !== "ok").map(([id, rec]) => `${id}: ${rec.outcome} ${rec.error?.message ?? rec.reason ?? ""}`);
const changes = (sims: NodeSim[]) => sims.flatMap((s) => s.changesSince(0, 0).map((c) => `${s.name}: ${c}`));

describe("destroy, keeping the data", () => {
  it("tears down in order: filesystem clone, LVM, locking, DRBD, fencing, then the cluster", async () => {
    const sims = appliedCluster();
    const result = await run(lvmlockdDestroyPlan, sims, "apply");
    expect(outcomes(result)).toEqual([]);
    const [node1, node2] = sims as [NodeSim, NodeSim];
    // Pacemaker stopped the mounts, LVs and DRBD as their clones left; the steps after only confirmed it.
    expect(node1.mutations).toEqual([
      "pcs resource disable data-group-clone",
      "pcs resource delete data-group-clone",
      "vgchange --lockstop vg_gfs",
      "pcs resource disable locking-clone",
      "pcs resource delete locking-clone",
      "pcs resource disable drbd_r0-clone",
      "pcs resource delete drbd_r0-clone",
      "pcs stonith disable fence-node1",
      "pcs stonith disable fence-node2",
      "pcs stonith delete fence-node1",
      "pcs stonith delete fence-node2",
      "systemctl stop pacemaker.service corosync.service",
      "systemctl disable pacemaker.service corosync.service",
      "rm -f /etc/corosync/corosync.conf",
      "rm -f /etc/corosync/authkey",
      "rm -f /etc/gfsdeploy/secrets/fence-node1.password",
      "rm -f /etc/gfsdeploy/secrets/fence-node2.password",
      "find /var/lib/pacemaker/cib -mindepth 1 -delete",
    ]);
    expect(node2.mutations.filter((m) => !m.startsWith("rm -f ") && !m.startsWith("systemctl ") && !m.startsWith("find "))).toEqual(["vgchange --lockstop vg_gfs"]);
    expect(node1.state.cib.elements.size).toBe(0);
    for (const sim of sims) {
      expect(sim.state.mounts.size, sim.name).toBe(0);
      expect(sim.state.units.get("pacemaker.service"), sim.name).toEqual({ enabled: false, active: false });
      expect(sim.t.files.has("/etc/corosync/corosync.conf"), sim.name).toBe(false);
      expect(sim.t.files.has(CIB_FILE), sim.name).toBe(false);
      expect(sim.unknown, sim.name).toEqual([]);
    }
  });

  it("leaves every byte of data, the DRBD metadata and resource file, so apply finds them again", async () => {
    const sims = appliedCluster();
    await run(lvmlockdDestroyPlan, sims, "apply");
    for (const sim of sims) {
      expect(sim.state.drbd.get("r0"), sim.name).toMatchObject({ up: false, metadata: true });
      expect(sim.state.devices.get("/dev/vdb")?.signature, sim.name).toEqual({ type: "drbd" });
      expect(sim.t.files.has(RES_FILE), sim.name).toBe(true);
      expect(sim.state.vgs.get("vg_gfs")?.pvs, sim.name).toEqual(["/dev/drbd0"]);
      expect(sim.state.lvs.get("vg_gfs/lv_data"), sim.name).toMatchObject({ size: "100%FREE", active: false });
      expect(sim.state.devices.get("/dev/vg_gfs/lv_data")?.signature, sim.name).toEqual({ type: "gfs2", lockTable: "gfscluster:data" });
      // A new apply's create-md sees the metadata and leaves it: no create-md over the data.
      expect(await check(stepOf(lvmlockdPlan, `${sim.name}/drbd/r0/create-md`, "drbd-create-md"), contextFor(sim)), sim.name).toEqual({ status: "ok", note: "DRBD metadata on the disk" });
    }
  });

  it("run twice, the second run changes nothing, and plan --destroy then has nothing to do", async () => {
    const sims = appliedCluster();
    await run(lvmlockdDestroyPlan, sims, "apply");
    const before = sims.map((s) => [s.t.calls.length, s.mutations.length] as const);
    const again = await run(lvmlockdDestroyPlan, sims, "apply");
    expect(again.counts).toMatchObject({ ok: lvmlockdDestroyPlan.steps.length, changed: 0 });
    const plan = await run(lvmlockdDestroyPlan, sims, "plan");
    expect(plan.counts).toMatchObject({ ok: lvmlockdDestroyPlan.steps.length, change: 0, pending: 0 });
    sims.forEach((s, i) => expect(s.changesSince(before[i]?.[0] ?? 0, before[i]?.[1] ?? 0), s.name).toEqual([]));
  });
});

describe("destroy with an LV in the VG that the spec does not list", () => {
  /** The applied cluster plus vg_gfs/lv_extra, active on both nodes or on neither. */
  const withExtra = (active: boolean) => appliedCluster().map((s) => s.lv("vg_gfs/lv_extra", { size: "256M", bytes: 256 * 2 ** 20, active }));

  it("refuses it by name on each node in the check pass, before any change, and plan shows the refusal", async () => {
    const sims = withExtra(true);
    const before = sims.map((s) => s.snapshot());
    const result = await run(lvmlockdDestroyPlan, sims, "plan");
    sims.forEach((s, i) => expect(s.snapshot(), s.name).toBe(before[i]));
    const refused = [...result.records.values()].filter((r) => r.outcome === "refused");
    expect(refused.map((r) => r.step.id)).toEqual(["node1/destroy/lvm/vg_gfs/deactivate", "node2/destroy/lvm/vg_gfs/deactivate"]);
    expect(refused[0]?.error?.message).toBe("vg_gfs/lv_extra is active on node1 and not in the spec: destroy would stop vg_gfs's lock manager under it");
    const message = refusalMessage(refused.map((r) => ({ step: r.step, outcome: r.outcome, reason: r.error?.message, hint: r.error?.hint })));
    expect(message?.message).toBe(
      "2 steps refuse:\n" +
        "  node1/destroy/lvm/vg_gfs/deactivate on node1: vg_gfs/lv_extra is active on node1 and not in the spec: destroy would stop vg_gfs's lock manager under it\n" +
        "  node2/destroy/lvm/vg_gfs/deactivate on node2: vg_gfs/lv_extra is active on node2 and not in the spec: destroy would stop vg_gfs's lock manager under it",
    );
    // One hint for both nodes: the same fix.
    expect(message?.hint).toBe("stop what uses it (a Filesystem resource in the CIB, a mount) and run lvchange --activate n vg_gfs/lv_extra on every node, or add it to the spec so destroy takes it down too; then run destroy again");
  });

  it("leaves it alone, with its data, when it is inactive", async () => {
    const sims = withExtra(false);
    const result = await run(lvmlockdDestroyPlan, sims, "apply");
    expect(outcomes(result)).toEqual([]);
    for (const sim of sims) {
      expect(sim.state.lvs.get("vg_gfs/lv_extra"), sim.name).toMatchObject({ size: "256M", active: false });
      expect(sim.mutations.filter((m) => m.includes("lv_extra")), sim.name).toEqual([]);
    }
  });
});

describe("destroy with r0 run by a Pacemaker resource gfsdeploy did not make", () => {
  /** The applied cluster, with r0 also under a primitive of someone else's: the teardown removes only drbd_r0's clone. */
  function withForeignPrimitive(): NodeSim[] {
    const sims = appliedCluster();
    sims[0]?.loadCib([["resource", "create", "legacy_r0", "ocf:linbit:drbd", "drbd_resource=r0"]]);
    return sims;
  }

  it("refuses drbd-down on each node in the check pass, before any change, and plan shows the refusal", async () => {
    const sims = withForeignPrimitive();
    const before = sims.map((s) => s.snapshot());
    const result = await run(lvmlockdDestroyPlan, sims, "plan");
    sims.forEach((s, i) => expect(s.snapshot(), s.name).toBe(before[i]));
    const refused = [...result.records.values()].filter((r) => r.outcome === "refused");
    expect(refused.map((r) => r.step.id)).toEqual(["node1/destroy/drbd/r0/down", "node2/destroy/drbd/r0/down"]);
    expect(refused[0]?.error).toEqual({
      message: "Pacemaker on node1 manages r0 through a resource other than drbd_r0, which destroy does not remove",
      hint: "take r0 out of Pacemaker's hands first (pcs status lists the ocf:linbit:drbd resource that runs it), then run destroy again",
    });
  });

  it("is judged by check alone: applied on its own, it refuses and never takes r0 down under Pacemaker", async () => {
    const down = stepOf(lvmlockdDestroyPlan, "node2/destroy/drbd/r0/down", "drbd-down");
    const sim = preparedNode("node2")
      .clusterRunning([{ name: "node1", online: true }])
      .disk("/dev/vdb", { type: "drbd" })
      .drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate" } })
      .loadCib([["resource", "create", "legacy_r0", "ocf:linbit:drbd", "drbd_resource=r0"]]);
    const result = await run({ ...lvmlockdDestroyPlan, steps: [{ ...down, dependsOn: [] }] }, [sim], "apply");
    expect(result.records.get(down.id)?.outcome).toBe("refused");
    expect(sim.mutations).toEqual([]);
    expect(sim.state.drbd.get("r0")?.up).toBe(true);
  });
});

describe("drbd-wipe-md where the resource file is gone", () => {
  const wipeMd = stepOf(lvmlockdWipePlan, "node1/destroy/drbd/r0/wipe-md", "drbd-wipe-md");

  it("refuses in check, and so in plan, rather than wipe metadata nothing names", async () => {
    // GIVEN r0 down, its metadata on /dev/vdb, but no /etc/drbd.d/r0.res to say whose it is
    const sim = preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true });
    expect(await check(wipeMd, contextFor(sim))).toEqual({
      status: "refuse",
      reason: "/dev/vdb holds DRBD metadata but /etc/drbd.d/r0.res is gone",
      hint: "wipe it by hand if it is r0's: wipefs --all /dev/vdb",
    });
    // AND applied, the runner stops at that refusal: the metadata stays
    const result = await run({ ...lvmlockdWipePlan, steps: [{ ...wipeMd, dependsOn: [] }] }, [sim], "apply");
    expect(result.records.get(wipeMd.id)?.outcome).toBe("refused");
    expect(sim.mutations).toEqual([]);
    expect(sim.state.devices.get("/dev/vdb")?.signature).toEqual({ type: "drbd" });
  });
});

describe("destroy of a cluster fenced by SBD", () => {
  const testbedDestroy = compileDestroy(testbedSpec(), { wipe: false }, loadPlaybook("destroy"));

  it("leaves sbd to go down with corosync, since systemd refuses to stop it by hand, then disables it", async () => {
    const step = stepOf(testbedDestroy, "node1/destroy/cluster", "cluster-destroy");
    expect(step.params).toMatchObject({ units: ["pacemaker.service", "corosync.service"], partOf: ["sbd.service"] });
    const sim = preparedNode("node1").clusterRunning([{ name: "node2", online: true }]).unit("sbd.service", { enabled: true, active: true });
    const result = await run({ ...testbedDestroy, steps: [{ ...step, dependsOn: [] }] }, [sim], "apply");
    expect(outcomes(result)).toEqual([]);
    expect(sim.mutations.filter((m) => m.startsWith("systemctl "))).toEqual(["systemctl stop pacemaker.service corosync.service", "systemctl disable pacemaker.service corosync.service sbd.service"]);
    expect(sim.state.units.get("sbd.service")).toEqual({ enabled: false, active: false });
  });
});

describe("destroy --wipe", () => {
  it("removes the LVs, VG, PV labels and DRBD metadata and resource files; a second run changes nothing", async () => {
    const sims = appliedCluster();
    const result = await run(lvmlockdWipePlan, sims, "apply");
    expect(outcomes(result)).toEqual([]);
    const [node1] = sims as [NodeSim];
    // Every other node left the lockspace before node1 removed the shared VG (lvmlockd's rule).
    expect(node1.mutations.slice(2, 11)).toEqual([
      "vgchange --lockstop vg_gfs",
      "vgchange --lockstart vg_gfs",
      "lvchange --activate ey vg_gfs/lv_data",
      "wipefs --all /dev/vg_gfs/lv_data",
      "lvchange --activate n vg_gfs/lv_data",
      "lvremove -y vg_gfs/lv_data",
      "vgremove -y vg_gfs",
      "pvremove -y /dev/drbd0",
      "pcs resource disable locking-clone",
    ]);
    for (const sim of sims) {
      expect([sim.state.vgs.size, sim.state.lvs.size, sim.state.pvs.size], sim.name).toEqual([0, 0, 0]);
      expect(sim.state.drbd.get("r0")?.metadata, sim.name).toBe(false);
      expect(sim.state.devices.get("/dev/vdb")?.signature, sim.name).toBeUndefined();
      expect(sim.t.files.has(RES_FILE), sim.name).toBe(false);
      expect(sim.mutations, sim.name).toContain("drbdadm -- --force wipe-md r0");
      expect(sim.unknown, sim.name).toEqual([]);
    }
    const calls = sims.map((s) => [s.t.calls.length, s.mutations.length] as const);
    const again = await run(lvmlockdWipePlan, sims, "apply");
    expect(again.counts).toMatchObject({ ok: lvmlockdWipePlan.steps.length });
    sims.forEach((s, i) => expect(s.changesSince(calls[i]?.[0] ?? 0, calls[i]?.[1] ?? 0), s.name).toEqual([]));
  });
});

describe("plan --destroy on the running cluster", () => {
  it("changes nothing on any node, and marks exactly the wipe steps destructive", async () => {
    const sims = appliedCluster();
    const before = sims.map((s) => s.snapshot());
    const events: RunEvent[] = [];
    const result = await run(lvmlockdWipePlan, sims, "plan", events);
    expect(changes(sims)).toEqual([]);
    sims.forEach((s, i) => expect(s.snapshot(), s.name).toBe(before[i]));
    expect(result.counts).toMatchObject({ refused: 0, failed: 0, skipped: 0 });
    expect(result.records.get("cluster/destroy/cib/filesystems")?.check).toMatchObject({ status: "change", diff: "- data-group-clone" });
    // DRBD is Pacemaker's until its clone leaves the CIB: drbd-down waits for that step.
    for (const node of NODES) {
      expect(result.records.get(`${node}/destroy/drbd/r0/down`)).toMatchObject({ outcome: "pending", reason: `after cluster/destroy/cib/drbd (cannot inspect yet: Pacemaker on ${node} still manages r0: it is stopped once its clone leaves the CIB)` });
    }
    const destructive = events.flatMap((e) => (e.type === "step-start" && e.destructive ? [e.id] : [])).sort();
    expect(destructive).toEqual(["cluster/destroy/drbd/r0/wipefs", "cluster/destroy/lvm/vg_gfs/remove", "node1/destroy/drbd/r0/wipe-md", "node2/destroy/drbd/r0/wipe-md"]);
    // The keep-data teardown has no destructive step at all.
    expect(lvmlockdDestroyPlan.steps.filter((s) => s.destructive)).toEqual([]);
  });
});
