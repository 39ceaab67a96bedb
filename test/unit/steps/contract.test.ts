/**
 * The step contract, for every kind the registry knows, on real steps of compiled plans:
 * from a node where the step is needed, check says "change" and changes nothing; apply
 * changes the node; check then says "ok".
 */

import { describe, expect, it } from "vitest";

import type { AnyStep, StepKind } from "../../../src/plan/types.js";
import { handlers } from "../../../src/steps/registry.js";
import type { CheckResult } from "../../../src/steps/types.js";
import { quoteCommand } from "../../../src/transport/quote.js";
import { apply, check, contextFor, el7Plan, lvmlockdPlan, preparedNode, readOnlyCheck, stepOf, testbedPlan, AUTHKEY, CLUSTER_PACKAGES, IPMI_PASSWORDS } from "./harness.js";
import { NodeSim, PCS_TOKENS } from "./node-sim.js";

interface ContractCase {
  /** What makes the step needed on this node. */
  given: string;
  step: AnyStep;
  node: () => NodeSim;
  /** The rest of the world while apply waits: other nodes joining, Pacemaker starting resources. */
  whileWaiting?: (sim: NodeSim) => void;
  /** Wait steps observe the world and must not change the node themselves. */
  waitsOnly?: boolean;
  /** Extra expectations on the first check's result. */
  expectFirst?: (result: CheckResult) => void;
  /** Extra expectations on what apply did. */
  then?: (sim: NodeSim) => void;
}

const L = <K extends StepKind>(id: string, kind: K) => stepOf(lvmlockdPlan, id, kind);
const T = <K extends StepKind>(id: string, kind: K) => stepOf(testbedPlan, id, kind);

const corosyncConf = L("node1/corosync/conf", "file");
const drbdRes = L("node1/drbd/r0/res", "file");
const baseCib = L("cluster/cib/base", "cib");
const fsCib = L("cluster/cib/filesystems", "cib");
const mkfs = L("cluster/gfs2/data/mkfs", "mkfs-gfs2");

/** The cluster of the lvmlockd fixture running on node1 with node2 online. */
function clusterNode(): NodeSim {
  const sim = preparedNode("node1");
  sim.t.setFile(corosyncConf.params.path, corosyncConf.params.content).setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 });
  return sim.clusterRunning([{ name: "node2", online: true }]);
}

/** clusterNode with r0 up and promoted here, as the base stage leaves it. */
function storageNode(): NodeSim {
  return clusterNode()
    .disk("/dev/vdb", { type: "drbd" })
    .drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate" } })
    .loadCib(baseCib.params.commands);
}

const commandsOf = (sim: NodeSim) => sim.commandLines();

const cases: Record<StepKind, ContractCase[]> = {
  packages: [{ given: "two of the cluster packages installed", step: L("node1/packages", "packages"), node: () => new NodeSim("node1").install("corosync", "pcs") }],
  hostname: [{ given: "the installer's hostname 'debian'", step: L("node2/hostname", "hostname"), node: () => new NodeSim("node2") }],
  hosts: [
    { given: "Debian's stock /etc/hosts", step: L("node1/hosts", "hosts"), node: () => new NodeSim("node1") },
    {
      given: "an outdated gfsdeploy block between other lines",
      step: L("node2/hosts", "hosts"),
      node: () => {
        const sim = new NodeSim("node2");
        sim.t.setFile("/etc/hosts", "127.0.0.1 localhost\n# BEGIN gfsdeploy: cluster node names\n10.9.9.9 node1\n# END gfsdeploy\n192.0.2.50 backup\n");
        return sim;
      },
      then: (sim) => {
        const hosts = sim.t.fileText("/etc/hosts") ?? "";
        expect(hosts).toContain("10.0.0.11 node1\n10.0.0.12 node2");
        expect(hosts).not.toContain("10.9.9.9");
        expect(hosts).toContain("192.0.2.50 backup");
      },
    },
  ],
  file: [
    { given: "no corosync.conf yet", step: corosyncConf, node: () => preparedNode("node1"), then: (sim) => expect(commandsOf(sim).filter((l) => /restart|cfgtool/.test(l))).toEqual([]) },
    {
      given: "an older corosync.conf while corosync runs the same cluster: a reload takes it",
      step: corosyncConf,
      node: () => {
        const sim = preparedNode("node1");
        sim.t.setFile(corosyncConf.params.path, corosyncConf.params.content.replace("token: 3000", "token: 1000")).setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 });
        return sim.clusterRunning([{ name: "node2", online: true }]);
      },
      expectFirst: (r) => {
        expect(r).toMatchObject({ status: "change", reason: "/etc/corosync/corosync.conf differs" });
        expect(r).not.toHaveProperty("restart");
        const diff = r.status === "change" ? (r.diff ?? "").split("\n") : [];
        expect(diff).toEqual(expect.arrayContaining(["-     token: 1000", "+     token: 3000"]));
      },
      then: (sim) => {
        expect(commandsOf(sim)).toContain("corosync-cfgtool -R");
        expect(commandsOf(sim).filter((l) => l.includes("restart"))).toEqual([]);
      },
    },
    {
      given: "corosync running under another cluster name: corosync and pacemaker restart",
      step: corosyncConf,
      node: () => {
        const sim = preparedNode("node1");
        sim.t.setFile(corosyncConf.params.path, corosyncConf.params.content.replace("cluster_name: gfscluster", "cluster_name: oldname")).setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 });
        return sim.clusterRunning([{ name: "node2", online: true }]);
      },
      expectFirst: (r) => expect(r).toMatchObject({ status: "change", restart: expect.stringContaining("corosync and pacemaker") as unknown }),
      then: (sim) => {
        expect(commandsOf(sim)).toEqual(expect.arrayContaining(["systemctl restart corosync", "systemctl restart pacemaker"]));
        expect(sim.state.corosync?.name).toBe("gfscluster");
      },
    },
    {
      given: "an older r0.res while r0 is up: drbdadm adjust applies it",
      step: drbdRes,
      node: () => {
        const sim = preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true });
        sim.t.setFile(drbdRes.params.path, drbdRes.params.content.replace("7789", "7790"));
        return sim;
      },
      then: (sim) => expect(commandsOf(sim)).toContain("drbdadm adjust r0"),
    },
    {
      given: "r0.res missing while r0 is down: nothing to adjust",
      step: drbdRes,
      node: () => preparedNode("node2").disk("/dev/vdb").drbdResource("r0", { disk: "/dev/vdb" }),
      then: (sim) => expect(commandsOf(sim).filter((l) => l.startsWith("drbdadm adjust"))).toEqual([]),
    },
    {
      given: "the right lvmlocal.conf with mode 600 and owner nobody",
      step: L("node2/lvm/conf", "file"),
      node: () => {
        const sim = preparedNode("node2");
        sim.t.setFile("/etc/lvm/lvmlocal.conf", L("node2/lvm/conf", "file").params.content, { mode: 0o600, owner: "nobody", group: "nogroup" });
        return sim;
      },
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "/etc/lvm/lvmlocal.conf mode/owner 600 nobody nogroup → 644 root root" }),
    },
  ],
  "secret-file": [
    { given: "no authkey yet", step: L("node2/corosync/authkey", "secret-file"), node: () => preparedNode("node2"), then: (sim) => expect(sim.t.files.get("/etc/corosync/authkey")).toMatchObject({ body: AUTHKEY, mode: 0o400, owner: "root" }) },
    {
      given: "another authkey while corosync runs: corosync restarts to read the new one",
      step: L("node1/corosync/authkey", "secret-file"),
      node: () => {
        const sim = clusterNode();
        sim.t.setFile("/etc/corosync/authkey", Buffer.alloc(256, 7), { mode: 0o400 });
        return sim;
      },
      expectFirst: (r) => expect(r).toMatchObject({ status: "change", restart: "corosync" }),
      then: (sim) => expect(commandsOf(sim)).toEqual(expect.arrayContaining(["systemctl restart corosync", "systemctl restart pacemaker"])),
    },
    {
      given: "an old fence password file",
      step: L("node2/stonith/fence-node1/password", "secret-file"),
      node: () => {
        const sim = preparedNode("node2");
        sim.t.setFile("/etc/gfsdeploy/secrets/fence-node1.password", "old-password", { mode: 0o600 });
        return sim;
      },
      then: (sim) => expect(sim.t.fileText("/etc/gfsdeploy/secrets/fence-node1.password")).toBe(IPMI_PASSWORDS[0]),
    },
  ],
  "hacluster-password": [{ given: "the hacluster account locked, as the pacemaker package leaves it", step: L("node1/hacluster-password", "hacluster-password"), node: () => new NodeSim("node1").install("pacemaker") }],
  service: [
    { given: "pcsd installed but disabled and stopped", step: L("node1/service/pcsd.service", "service"), node: () => new NodeSim("node1").install(...CLUSTER_PACKAGES) },
    {
      given: "dlm.service enabled and running, where it would race Pacemaker",
      step: L("node2/service/dlm.service", "service"),
      node: () => preparedNode("node2").unit("dlm.service", { enabled: true, active: true }),
      then: (sim) => expect(sim.state.units.get("dlm.service")).toEqual({ enabled: false, active: false }),
    },
    {
      given: "sbd.service disabled (its running state is left to the cluster)",
      step: T("node1/service/sbd.service", "service"),
      node: () => preparedNode("node1"),
      then: (sim) => expect(sim.state.units.get("sbd.service")).toEqual({ enabled: true, active: false }),
    },
  ],
  "pcs-auth": [{ given: "pcsd running on a node with no tokens yet", step: L("cluster/pcs-auth", "pcs-auth"), node: () => preparedNode("node1") }],
  "sbd-device": [{ given: "a blank shared disk", step: T("cluster/sbd/device", "sbd-device"), node: () => preparedNode("node1").disk("/dev/disk/by-id/virtio-sbd") }],
  "cluster-start": [
    {
      given: "corosync.conf and authkey in place, the cluster stopped",
      step: L("node2/cluster/start", "cluster-start"),
      node: () => {
        const sim = preparedNode("node2");
        sim.t.setFile(corosyncConf.params.path, corosyncConf.params.content).setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 });
        return sim;
      },
    },
  ],
  "cluster-ready": [
    {
      given: "Pacemaker up here, node2 not joined yet (no quorum)",
      step: L("cluster/ready", "cluster-ready"),
      node: () => {
        const sim = clusterNode();
        sim.state.peers = [{ name: "node2", online: false }];
        return sim;
      },
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "wait: cluster has no quorum" }),
      whileWaiting: (sim) => sim.peersJoin(),
      waitsOnly: true,
    },
  ],
  "drbd-create-md": [{ given: "a blank backing disk without metadata", step: L("node2/drbd/r0/create-md", "drbd-create-md"), node: () => preparedNode("node2").disk("/dev/vdb").drbdResource("r0", { disk: "/dev/vdb" }) }],
  "drbd-up": [{ given: "metadata written, the resource down", step: L("node1/drbd/r0/up", "drbd-up"), node: () => preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true }) }],
  "drbd-initial-sync": [
    {
      given: "both sides up and connected, both Inconsistent (full sync)",
      step: L("cluster/drbd/r0/initial-sync", "drbd-initial-sync"),
      node: () => preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, peer: { up: true, disk: "Inconsistent" } }),
      then: (sim) => expect(commandsOf(sim)).toEqual(expect.arrayContaining(["drbdadm primary --force r0", "drbdadm secondary r0"])),
    },
    {
      given: "up here while the peer is still connecting: the sync waits for the connection",
      step: L("cluster/drbd/r0/initial-sync", "drbd-initial-sync"),
      node: () => preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, peer: { up: false, disk: "Inconsistent" } }),
      whileWaiting: (sim) => {
        const r0 = sim.state.drbd.get("r0");
        if (r0) r0.peer.up = true;
      },
    },
    {
      given: "blank disks on both sides (skip: clear the bitmap)",
      step: T("cluster/drbd/r0/initial-sync", "drbd-initial-sync"),
      node: () => preparedNode("node1").disk("/dev/disk/by-id/virtio-drbd", { type: "drbd" }).drbdResource("r0", { disk: "/dev/disk/by-id/virtio-drbd", metadata: true, up: true, peer: { up: true, disk: "Inconsistent" } }),
      then: (sim) => expect(sim.state.drbd.get("r0")).toMatchObject({ local: "UpToDate", peer: { disk: "UpToDate" } }),
    },
  ],
  cib: [
    {
      given: "a running cluster with an empty CIB",
      step: baseCib,
      node: clusterNode,
      expectFirst: (r) => {
        // Two properties, two fence devices with their location constraints, two clones, one order.
        expect(r).toMatchObject({ status: "change", reason: "9 CIB change(s) in stage base" });
        const diff = r.status === "change" ? (r.diff ?? "").split("\n") : [];
        expect(diff).toEqual(expect.arrayContaining(["~ property stonith-enabled: (unset) → true", "+ clone drbd_r0-clone", "+ primitive fence-node1"]));
      },
    },
    { given: "the base stage in the CIB", step: fsCib, node: () => clusterNode().loadCib(baseCib.params.commands) },
  ],
  "wait-resources": [
    {
      given: "the base stage in the CIB, nothing started yet",
      step: L("cluster/wait/base", "wait-resources"),
      node: () => clusterNode().loadCib(baseCib.params.commands),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "wait: drbd_r0-clone not Promoted on node1, node2; locking-clone not Started on node1, node2" }),
      whileWaiting: (sim) => sim.pacemakerSettles(),
      waitsOnly: true,
    },
    {
      given: "the filesystems stage in the CIB, the filesystem clone not started yet",
      step: L("cluster/wait/filesystems", "wait-resources"),
      node: () => {
        const sim = clusterNode().loadCib(baseCib.params.commands);
        sim.pacemakerSettles();
        return sim.loadCib(fsCib.params.commands);
      },
      whileWaiting: (sim) => sim.pacemakerSettles(),
      waitsOnly: true,
    },
  ],
  pvcreate: [{ given: "r0 promoted here, /dev/drbd0 blank", step: L("cluster/lvm/pv/drbd0", "pvcreate"), node: storageNode }],
  vgcreate: [{ given: "a PV on /dev/drbd0 in no VG", step: L("cluster/lvm/vg/vg_gfs", "vgcreate"), node: () => storageNode().pv("/dev/drbd0"), then: (sim) => expect(sim.state.vgs.get("vg_gfs")?.lockType).toBe("dlm") }],
  lvcreate: [
    {
      given: "the shared VG, its lockspace not started on this node",
      step: L("cluster/lvm/lv/vg_gfs/lv_data", "lvcreate"),
      node: () => storageNode().vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: false }),
      then: (sim) => expect(sim.state.lvs.get("vg_gfs/lv_data")).toEqual({ size: "100%FREE", active: false }),
    },
  ],
  "mkfs-gfs2": [
    {
      given: "a new shared LV, inactive as lvcreate --activate n left it",
      step: mkfs,
      node: () => storageNode().vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: false }).lv("vg_gfs/lv_data", { size: "100%FREE", active: false }),
      then: (sim) => {
        expect(sim.state.devices.get("/dev/vg_gfs/lv_data")?.signature).toEqual({ type: "gfs2", lockTable: "gfscluster:data" });
        // Lockspace started, LV activated shared, mkfs; the LV stays active, so the re-check read the result back.
        expect(mkfs.params.commands.map((argv) => (argv[0] === "mkfs.gfs2" ? "mkfs.gfs2" : quoteCommand(argv)))).toEqual(["vgchange --lockstart vg_gfs", "lvchange --activate sy vg_gfs/lv_data", "mkfs.gfs2"]);
        expect(sim.mutations).toEqual(mkfs.params.commands.map((argv) => quoteCommand(argv)));
        expect(sim.state.lvs.get("vg_gfs/lv_data")?.active).toBe(true);
      },
    },
  ],
};

describe("step contract", () => {
  it("covers every step kind in the registry", () => {
    const covered = cases as Partial<Record<string, ContractCase[]>>;
    expect(Object.keys(handlers).filter((kind) => !covered[kind]?.length)).toEqual([]);
  });

  for (const kind of Object.keys(handlers) as StepKind[]) {
    describe(kind, () => {
      for (const c of cases[kind] ?? []) {
        it(`${c.step.id}: ${c.given}`, async () => {
          const sim = c.node();
          const ctx = contextFor(sim, c.whileWaiting ? { whileWaiting: c.whileWaiting } : {});

          // GIVEN a node where the step is needed: check says change, and changes nothing
          const first = await readOnlyCheck(sim, c.step, ctx);
          expect(first.status, JSON.stringify(first)).toBe("change");
          c.expectFirst?.(first);

          // WHEN apply runs
          const calls = sim.t.calls.length;
          const mutations = sim.mutations.length;
          await apply(c.step, ctx);
          const changes = sim.changesSince(calls, mutations);
          if (c.waitsOnly) expect(changes, "a wait step only observes").toEqual([]);
          else expect(changes.length, "apply changed nothing").toBeGreaterThan(0);

          // THEN check says ok, and every command the handler ran is one the sim models
          const second = await check(c.step, ctx);
          expect(second, JSON.stringify(second)).toMatchObject({ status: "ok" });
          expect(sim.unknown).toEqual([]);
          c.then?.(sim);
        });
      }
    });
  }
});

describe("step contract on other dialects", () => {
  it("pcs-auth with pcs 0.9 (EL7), which keeps its tokens in /var/lib/pcsd/tokens, converges", async () => {
    // GIVEN an EL7 node: pcs 0.9 has no known-hosts file; `pcs cluster auth` writes the tokens file
    const step = stepOf(el7Plan, "cluster/pcs-auth", "pcs-auth");
    const sim = preparedNode("kvm1");
    sim.state.pcsVersion = "0.9";
    const ctx = contextFor(sim);
    expect((await readOnlyCheck(sim, step, ctx)).status).toBe("change");
    // WHEN apply authenticates
    await apply(step, ctx);
    expect(sim.t.fileText(PCS_TOKENS)).toContain('"kvm2"');
    // THEN check sees the tokens
    expect(await check(step, ctx)).toMatchObject({ status: "ok" });
  });
});

describe("check before an earlier step has provided what it looks at", () => {
  it("service: a wanted unit whose package is not installed yet is a change, not a refusal", async () => {
    // GIVEN a node without the cluster packages: pcsd.service does not exist
    const sim = new NodeSim("node1");
    const step = L("node1/service/pcsd.service", "service");
    expect(await readOnlyCheck(sim, step, contextFor(sim))).toEqual({ status: "change", reason: "pcsd.service (not installed yet)" });
    // WHEN the packages step has installed it, THEN apply and the re-check converge
    sim.install(...CLUSTER_PACKAGES);
    const ctx = contextFor(sim);
    await apply(step, ctx);
    expect(await check(step, ctx)).toEqual({ status: "ok" });
    expect(sim.unknown).toEqual([]);
  });

  it("service: an unwanted unit that does not exist is already right", async () => {
    const sim = new NodeSim("node1");
    expect(await readOnlyCheck(sim, L("node1/service/dlm.service", "service"), contextFor(sim))).toEqual({ status: "ok", note: "not installed" });
  });

  it("pvcreate: /dev/drbd0 before DRBD is up is a change, not a refusal", async () => {
    // GIVEN r0 with metadata but down: /dev/drbd0 does not exist yet
    const sim = preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true });
    const step = L("cluster/lvm/pv/drbd0", "pvcreate");
    expect(await readOnlyCheck(sim, step, contextFor(sim))).toEqual({ status: "change", reason: "pvcreate /dev/drbd0 (once DRBD provides it)" });
    expect(sim.unknown).toEqual([]);
  });
});
