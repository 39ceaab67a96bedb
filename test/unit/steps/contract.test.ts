/**
 * The step contract, for every kind the registry knows, on real steps of compiled plans:
 * from a node where the step is needed, check says "change" and changes nothing; apply
 * changes the node; check then says "ok".
 */

import { createHash } from "node:crypto";

import { describe, expect, it } from "vitest";

import type { AnyStep, StepKind } from "../../../src/plan/types.js";
import { handlers } from "../../../src/steps/registry.js";
import type { CheckResult } from "../../../src/steps/types.js";
import { quoteCommand } from "../../../src/transport/quote.js";
import { apply, check, contextFor, el7Plan, el9Plan, lvmlockdDestroyPlan, lvmlockdPlan, lvmlockdWipePlan, preparedNode, readOnlyCheck, stepOf, testbedPlan, AUTHKEY, CLUSTER_PACKAGES, IPMI_PASSWORDS, RESTART_MARKER } from "./harness.js";
import { drbdDeviceBytes, NodeSim, PCS_TOKENS, type Signature } from "./node-sim.js";

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
const E = <K extends StepKind>(id: string, kind: K) => stepOf(el9Plan, id, kind);

/** A Rocky 9 node as installed: the add-on repositories defined but disabled, no ELRepo. */
function rockyNode(name: string): NodeSim {
  const sim = new NodeSim(name);
  for (const [id, enabled] of [["baseos", true], ["appstream", true], ["highavailability", false], ["resilientstorage", false]] as const) sim.state.repos.set(id, enabled);
  return sim;
}

const SYSTEM_DEVICES = "IDTYPE=sys_wwid IDNAME=eui.0025385b71b07e2f DEVNAME=/dev/nvme0n1p3 PVID=Xr2ewd0ANtTqXvsvm1vUW1BC0VmKDhaT PART=3";

/** An EL9 node with DRBD up: LVM's devices file on (the installer's) and listing the system disk only. */
function devicesFileNode(name: string): NodeSim {
  const sim = new NodeSim(name);
  sim.state.useDevicesFile = true;
  sim.state.devices.set("/dev/drbd0", { present: true });
  sim.t.setFile("/etc/lvm/devices/system.devices", `# LVM uses devices listed in this file.\nVERSION=1.1.1\n${SYSTEM_DEVICES}\n`);
  return sim;
}
const T = <K extends StepKind>(id: string, kind: K) => stepOf(testbedPlan, id, kind);

const corosyncConf = L("node1/corosync/conf", "file");
const authkey = L("node1/corosync/authkey", "secret-file");
const clusterStart = L("node1/cluster/start", "cluster-start");
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

/** An authkey other than the spec's: the one a cluster ran with before the spec's was generated. */
const OLD_AUTHKEY = Buffer.alloc(256, 7);
const digest = (body: Buffer) => createHash("sha256").update(body).digest("hex");

/** The cluster running on node1 with node2 online, started from this corosync.conf and authkey. */
function runningWith(conf: string, key: Buffer = AUTHKEY): NodeSim {
  const sim = preparedNode("node1");
  sim.t.setFile(corosyncConf.params.path, conf).setFile("/etc/corosync/authkey", key, { mode: 0o400 });
  return sim.clusterRunning([{ name: "node2", online: true }]);
}

const renamed = corosyncConf.params.content.replace("cluster_name: gfscluster", "cluster_name: oldname");

/** The cluster running from the corosync.conf `running`, which the spec's has replaced on disk since. */
function confChangedUnder(running: string): NodeSim {
  const sim = runningWith(running);
  sim.t.setFile(corosyncConf.params.path, corosyncConf.params.content);
  return sim;
}

/** Both cluster units enabled and running. */
const clusterUp = (sim: NodeSim) => {
  expect(sim.state.units.get("corosync.service")).toEqual({ enabled: true, active: true });
  expect(sim.state.units.get("pacemaker.service")).toEqual({ enabled: true, active: true });
};

/** clusterNode with r0 up and promoted here, as the base stage leaves it. */
function storageNode(): NodeSim {
  return clusterNode()
    .disk("/dev/vdb", { type: "drbd" })
    .drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate" } })
    .loadCib(baseCib.params.commands);
}

const commandsOf = (sim: NodeSim) => sim.commandLines();

const DRBD_DISK = "/dev/disk/by-id/virtio-drbd";

/** The test bed's cluster with r0 up on a 4 GiB backing disk that has grown to 5 GiB here and on the peer. */
function grownDiskNode(): NodeSim {
  return clusterNode()
    .disk(DRBD_DISK, { type: "drbd" })
    .sized(DRBD_DISK, 5 * GIB)
    .drbdResource("r0", { disk: DRBD_DISK, metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate", backingBytes: 5 * GIB } })
    .sized("/dev/drbd0", drbdDeviceBytes(4 * GIB));
}

const GIB = 1024 ** 3;
const LV = "/dev/vg_gfs/lv_data";

/**
 * The test bed's running cluster as day 2 finds it: lv_data `lvBytes` big in the shared VG,
 * active here with GFS2 (two 32 MB journals, filling the LV unless `fs` says otherwise)
 * mounted at /srv/data.
 */
function mountedNode(lvBytes: number, fs: Partial<Signature> = {}): NodeSim {
  return storageNode()
    .vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true })
    .lv("vg_gfs/lv_data", { size: "3G", bytes: lvBytes, active: true, signature: { type: "gfs2", lockTable: "gfstest:data", fsBytes: lvBytes - 4096, journalsMb: [32, 32], ...fs } })
    .mount("/srv/data", LV);
}

const D = <K extends StepKind>(id: string, kind: K) => stepOf(lvmlockdDestroyPlan, id, kind);
const W = <K extends StepKind>(id: string, kind: K) => stepOf(lvmlockdWipePlan, id, kind);

/** storageNode with the shared VG, lv_data holding the spec's GFS2, and the lockspace as given. */
function lvmNode(options: { active: boolean; lockStarted: boolean }): NodeSim {
  return storageNode()
    .vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: options.lockStarted })
    .lv("vg_gfs/lv_data", { size: "100%FREE", active: options.active, signature: { type: "gfs2", lockTable: "gfscluster:data" } });
}

/** The teardown kinds (`gfsdeploy destroy`), on real steps of the lvmlockd fixture's teardown plans. */
const teardownCases: Pick<Record<StepKind, ContractCase[]>, "cib-remove" | "gfs2-unmounted" | "lv-deactivate" | "lvm-remove" | "wipe-device" | "drbd-down" | "drbd-wipe-md" | "cluster-destroy"> = {
  "cib-remove": [
    {
      given: "the filesystem clone running on both nodes, GFS2 mounted",
      step: D("cluster/destroy/cib/filesystems", "cib-remove"),
      node: () => {
        const sim = lvmNode({ active: true, lockStarted: true }).loadCib(fsCib.params.commands);
        sim.pacemakerSettles();
        return sim;
      },
      expectFirst: (r) => expect(r).toMatchObject({ diff: "- data-group-clone" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["pcs resource disable data-group-clone", "pcs resource delete data-group-clone"]);
        // The clone went with its order and colocation constraints; the base stage stayed.
        expect([...sim.state.cib.elements.keys()].filter((id) => id.includes("data-group"))).toEqual([]);
        expect(sim.state.cib.elements.has("locking-clone")).toBe(true);
        expect(sim.state.mounts.size).toBe(0);
        expect(sim.state.lvs.get("vg_gfs/lv_data")?.active).toBe(false);
      },
    },
  ],
  "gfs2-unmounted": [
    {
      given: "GFS2 still mounted while Pacemaker stops it",
      step: D("node2/destroy/gfs2/data/unmounted", "gfs2-unmounted"),
      node: () => {
        const sim = preparedNode("node2");
        sim.state.mounts.set("/srv/data", "/dev/vg_gfs/lv_data");
        return sim;
      },
      whileWaiting: (sim) => sim.state.mounts.delete("/srv/data"),
      waitsOnly: true,
    },
  ],
  "lv-deactivate": [
    {
      given: "lv_data active here and the VG's lockspace started",
      step: D("node1/destroy/lvm/vg_gfs/deactivate", "lv-deactivate"),
      node: () => lvmNode({ active: true, lockStarted: true }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["lvchange --activate n vg_gfs/lv_data", "vgchange --lockstop vg_gfs"]);
        // Inactive, not gone: the data stays.
        expect(sim.state.lvs.get("vg_gfs/lv_data")).toMatchObject({ size: "100%FREE", active: false });
        expect(sim.state.vgs.get("vg_gfs")?.pvs).toEqual(["/dev/drbd0"]);
      },
    },
  ],
  "lvm-remove": [
    {
      given: "the shared VG with lv_data holding GFS2, inactive, the lockspace stopped everywhere",
      step: W("cluster/destroy/lvm/vg_gfs/remove", "lvm-remove"),
      node: () => lvmNode({ active: false, lockStarted: false }),
      then: (sim) => {
        expect(sim.mutations).toEqual([
          "vgchange --lockstart vg_gfs",
          "lvchange --activate ey vg_gfs/lv_data",
          "wipefs --all /dev/vg_gfs/lv_data",
          "lvchange --activate n vg_gfs/lv_data",
          "lvremove -y vg_gfs/lv_data",
          "vgremove -y vg_gfs",
          "pvremove -y /dev/drbd0",
        ]);
        expect([sim.state.vgs.size, sim.state.lvs.size, sim.state.pvs.size]).toEqual([0, 0, 0]);
        expect(sim.state.devices.get("/dev/drbd0")?.signature).toBeUndefined();
      },
    },
  ],
  "wipe-device": [
    {
      given: "/dev/drbd0 holding GFS2 straight on DRBD",
      step: W("cluster/destroy/drbd/r0/wipefs", "wipe-device"),
      node: () => storageNode().disk("/dev/drbd0", { type: "gfs2", lockTable: "gfscluster:data" }),
      expectFirst: (r) => expect(r).toMatchObject({ reason: "erase gfs2 on /dev/drbd0: its data is lost" }),
      then: (sim) => expect(sim.mutations).toEqual(["wipefs --all /dev/drbd0"]),
    },
  ],
  "drbd-down": [
    {
      given: "r0 up and Primary, no longer in any running Pacemaker's CIB",
      step: D("node2/destroy/drbd/r0/down", "drbd-down"),
      node: () => preparedNode("node2").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true, up: true, role: "Primary", local: "UpToDate", peer: { up: true, disk: "UpToDate" } }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["drbdadm down r0"]);
        expect(sim.state.drbd.get("r0")).toMatchObject({ up: false, metadata: true });
        expect(sim.state.devices.get("/dev/vdb")?.signature).toEqual({ type: "drbd" });
      },
    },
  ],
  "drbd-wipe-md": [
    {
      given: "r0 down, its metadata on /dev/vdb and its resource file in place",
      step: W("node1/destroy/drbd/r0/wipe-md", "drbd-wipe-md"),
      node: () => {
        const sim = preparedNode("node1").disk("/dev/vdb", { type: "drbd" }).drbdResource("r0", { disk: "/dev/vdb", metadata: true });
        sim.t.setFile(drbdRes.params.path, drbdRes.params.content);
        return sim;
      },
      expectFirst: (r) => expect(r).toMatchObject({ reason: "wipe the DRBD metadata on /dev/vdb, remove /etc/drbd.d/r0.res" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["drbdadm -- --force wipe-md r0", "rm -f /etc/drbd.d/r0.res"]);
        expect(sim.state.devices.get("/dev/vdb")?.signature).toBeUndefined();
        expect(sim.t.files.has("/etc/drbd.d/r0.res")).toBe(false);
      },
    },
  ],
  "cluster-destroy": [
    {
      given: "the cluster running, its CIB on disk and a fence password file",
      step: D("node1/destroy/cluster", "cluster-destroy"),
      node: () => {
        const sim = clusterNode();
        sim.t.setFile("/var/lib/pacemaker/cib/cib.xml", "<cib/>").setFile("/etc/gfsdeploy/secrets/fence-node1.password", IPMI_PASSWORDS[0], { mode: 0o600 });
        return sim;
      },
      then: (sim) => {
        expect(sim.mutations).toEqual([
          "systemctl stop pacemaker.service corosync.service",
          "systemctl disable pacemaker.service corosync.service",
          "rm -f /etc/corosync/corosync.conf",
          "rm -f /etc/corosync/authkey",
          "rm -f /etc/gfsdeploy/secrets/fence-node1.password",
          "find /var/lib/pacemaker/cib -mindepth 1 -delete",
        ]);
        expect(sim.state.units.get("corosync.service")).toEqual({ enabled: false, active: false });
        // The packages stay: apply can build the cluster again.
        expect(CLUSTER_PACKAGES.filter((p) => !sim.state.packages.has(p))).toEqual([]);
      },
    },
  ],
};

const cases: Record<StepKind, ContractCase[]> = {
  ...teardownCases,
  repos: [
    {
      given: "Rocky 9 with HighAvailability and ResilientStorage disabled and no ELRepo",
      step: E("rhel-a/repos", "repos"),
      node: () => rockyNode("rhel-a"),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "install elrepo-release, enable highavailability resilientstorage" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["dnf install -y https://www.elrepo.org/elrepo-release-9.el9.elrepo.noarch.rpm", "dnf config-manager --set-enabled highavailability resilientstorage"]);
        expect([...sim.state.repos].filter(([, on]) => on).map(([id]) => id)).toEqual(["baseos", "appstream", "highavailability", "resilientstorage", "elrepo"]);
      },
    },
  ],
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
      node: () => runningWith(corosyncConf.params.content.replace("token: 3000", "token: 1000")),
      expectFirst: (r) => {
        expect(r).toMatchObject({ status: "change", reason: "/etc/corosync/corosync.conf differs" });
        expect(r).not.toHaveProperty("restart");
        const diff = r.status === "change" ? (r.diff ?? "").split("\n") : [];
        expect(diff).toEqual(expect.arrayContaining(["-     token: 1000", "+     token: 3000"]));
      },
      then: (sim) => {
        expect(commandsOf(sim)).toContain("corosync-cfgtool -R");
        expect(commandsOf(sim).filter((l) => l.includes("restart"))).toEqual([]);
        // The reload is the only command that changed the node: nothing stopped or restarted.
        expect(sim.mutations).toEqual(["corosync-cfgtool -R"]);
        clusterUp(sim);
      },
    },
    {
      given: "corosync running under another cluster name: the file is written, the restart is left to cluster-start",
      step: corosyncConf,
      node: () => runningWith(renamed),
      expectFirst: (r) => {
        expect(r).toMatchObject({ status: "change", reason: "/etc/corosync/corosync.conf differs", restart: expect.stringContaining("corosync and pacemaker") as unknown });
        expect(r).toMatchObject({ restart: expect.stringContaining("by cluster-start") as unknown });
      },
      then: (sim) => {
        expect(sim.t.fileText(corosyncConf.params.path)).toBe(corosyncConf.params.content);
        // No reload (it cannot rename a cluster) and no restart: the authkey may not be in place yet.
        expect(sim.mutations).toEqual([]);
        expect(commandsOf(sim).filter((l) => /^systemctl (stop|start|restart) |cfgtool/.test(l))).toEqual([]);
        clusterUp(sim);
        expect(sim.state.corosync?.name).toBe("oldname");
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
    {
      given: "no authkey yet",
      step: L("node2/corosync/authkey", "secret-file"),
      node: () => preparedNode("node2"),
      then: (sim) => {
        expect(sim.t.files.get("/etc/corosync/authkey")).toMatchObject({ body: AUTHKEY, mode: 0o400, owner: "root" });
        // A first key replaces nothing: no word for cluster-start.
        expect(sim.mutations).toEqual([]);
        expect(sim.t.files.has(RESTART_MARKER)).toBe(false);
      },
    },
    {
      given: "another authkey while corosync runs: the new key, and word for cluster-start to restart",
      step: authkey,
      node: () => runningWith(corosyncConf.params.content, OLD_AUTHKEY),
      expectFirst: (r) => expect(r).toMatchObject({ status: "change", restart: "corosync and pacemaker on this node, by cluster-start" }),
      then: (sim) => {
        expect(sim.t.files.get("/etc/corosync/authkey")).toMatchObject({ body: AUTHKEY, mode: 0o400, owner: "root" });
        expect(sim.mutations).toEqual(["mkdir -p /run/gfsdeploy", `touch ${RESTART_MARKER}`]);
        expect(sim.t.files.has(RESTART_MARKER)).toBe(true);
        // Nothing restarted here: corosync still runs on the key it started with.
        expect(commandsOf(sim).filter((l) => /^systemctl (stop|start|restart) /.test(l))).toEqual([]);
        clusterUp(sim);
        expect(sim.state.corosync?.authkey).toBe(digest(OLD_AUTHKEY));
      },
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
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "enable corosync.service, start corosync.service, enable pacemaker.service, start pacemaker.service" }),
      then: (sim) => {
        // Nothing ran to restart: a start is enough.
        expect(sim.mutations).toEqual(["systemctl enable corosync.service pacemaker.service", "systemctl start corosync.service pacemaker.service"]);
        expect(sim.state.corosync).toEqual({ name: "gfscluster", addresses: ["10.0.0.11", "10.0.0.12"], authkey: digest(AUTHKEY) });
      },
    },
    {
      given: "the word a replaced authkey left, corosync still on the old key: a restart",
      step: clusterStart,
      node: () => {
        const sim = runningWith(corosyncConf.params.content, OLD_AUTHKEY);
        sim.t.setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 }).setFile(RESTART_MARKER, "");
        return sim;
      },
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "restart corosync and pacemaker: the authkey was replaced", restart: "corosync, pacemaker" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["systemctl enable corosync.service pacemaker.service", "systemctl stop pacemaker.service corosync.service", `rm -f ${RESTART_MARKER}`, "systemctl start corosync.service pacemaker.service"]);
        expect(sim.t.files.has(RESTART_MARKER)).toBe(false);
        expect(sim.state.corosync?.authkey).toBe(digest(AUTHKEY));
      },
    },
    {
      given: "corosync running under another cluster name than corosync.conf's: a restart",
      step: clusterStart,
      node: () => confChangedUnder(renamed),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "restart corosync and pacemaker: the running cluster name or node list differs from corosync.conf", restart: "corosync, pacemaker" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["systemctl enable corosync.service pacemaker.service", "systemctl stop pacemaker.service corosync.service", `rm -f ${RESTART_MARKER}`, "systemctl start corosync.service pacemaker.service"]);
        expect(sim.state.corosync?.name).toBe("gfscluster");
      },
    },
    {
      given: "corosync running with another node address than corosync.conf's: a restart",
      step: clusterStart,
      node: () => confChangedUnder(corosyncConf.params.content.replace("ring0_addr: 10.0.0.12", "ring0_addr: 10.0.0.99")),
      expectFirst: (r) => expect(r).toMatchObject({ status: "change", reason: expect.stringMatching(/^restart corosync and pacemaker: /) as unknown }),
      then: (sim) => expect(sim.state.corosync?.addresses).toEqual(["10.0.0.11", "10.0.0.12"]),
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
  "drbd-resize": [
    {
      given: "r0's backing disks grown from 4 to 5 GiB on both nodes",
      step: T("cluster/drbd/r0/resize", "drbd-resize"),
      node: () => grownDiskNode(),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: `drbdadm resize r0: ${DRBD_DISK} on node1 is 5G, /dev/drbd0 <4.00G (the other nodes' disks must have grown too)` }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["drbdadm resize r0"]);
        expect(sim.state.devices.get("/dev/drbd0")?.bytes).toBe(drbdDeviceBytes(5 * GIB));
      },
    },
  ],
  pvresize: [
    {
      given: "/dev/drbd0 grown to 5 GiB under its 4092 MiB PV",
      step: T("cluster/lvm/pv/drbd0/resize", "pvresize"),
      node: () => grownDiskNode().sized("/dev/drbd0", drbdDeviceBytes(5 * GIB)).vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: true }),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "pvresize /dev/drbd0: the device is <5.00G, the PV <4.00G" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["pvresize /dev/drbd0"]);
        expect(sim.state.vgs.get("vg_gfs")?.sizeBytes).toBe(5116 * 1024 ** 2);
      },
    },
  ],
  "lvm-device": [
    {
      given: "EL9's devices file in use, listing only the system disk",
      step: E("rhel-b/lvm/devices/drbd0", "lvm-device"),
      node: () => devicesFileNode("rhel-b"),
      then: (sim) => {
        expect(sim.mutations).toEqual(["lvmdevices --adddev /dev/drbd0"]);
        expect(sim.t.fileText("/etc/lvm/devices/system.devices")).toContain(`${SYSTEM_DEVICES}\nIDTYPE=devname IDNAME=/dev/drbd0 DEVNAME=/dev/drbd0`);
      },
    },
  ],
  pvcreate: [{ given: "r0 promoted here, /dev/drbd0 blank", step: L("cluster/lvm/pv/drbd0", "pvcreate"), node: storageNode }],
  vgcreate: [{ given: "a PV on /dev/drbd0 in no VG", step: L("cluster/lvm/vg/vg_gfs", "vgcreate"), node: () => storageNode().pv("/dev/drbd0"), then: (sim) => expect(sim.state.vgs.get("vg_gfs")?.lockType).toBe("dlm") }],
  lvcreate: [
    {
      given: "the shared VG, its lockspace not started on this node",
      step: L("cluster/lvm/lv/vg_gfs/lv_data", "lvcreate"),
      node: () => storageNode().vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: false }),
      then: (sim) => expect(sim.state.lvs.get("vg_gfs/lv_data")).toEqual({ size: "100%FREE", bytes: 4092 * 1024 ** 2, active: false }),
    },
  ],
  lvextend: [
    {
      given: "lv_data at 2G with GFS2 mounted, the spec says 3G: extended under the shared lock",
      step: T("cluster/lvm/lv/vg_gfs/lv_data/extend", "lvextend"),
      node: () => mountedNode(2 * GIB),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "lvextend vg_gfs/lv_data from 2G to 3G" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["vgchange --lockstart vg_gfs", "lvextend -L 3G vg_gfs/lv_data"]);
        expect(sim.state.lvs.get("vg_gfs/lv_data")?.bytes).toBe(3 * GIB);
        expect(sim.state.devices.get(LV)?.bytes).toBe(3 * GIB);
      },
    },
  ],
  "lv-refresh": [
    {
      given: "lv_data extended to 3G from node1, node2's kernel still at 2G",
      step: T("node2/lvm/lv/vg_gfs/lv_data/refresh", "lv-refresh"),
      node: () => {
        const sim = mountedNode(3 * GIB);
        const device = sim.state.devices.get(LV);
        if (device) device.bytes = 2 * GIB;
        return sim;
      },
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "lvchange --refresh vg_gfs/lv_data: the kernel has 2G, LVM 3G" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["lvchange --refresh vg_gfs/lv_data"]);
        expect(sim.state.devices.get(LV)?.bytes).toBe(3 * GIB);
      },
    },
  ],
  "mkfs-gfs2": [
    {
      given: "a new shared LV, inactive as lvcreate --activate n left it",
      step: mkfs,
      node: () => storageNode().vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/drbd0"], lockStarted: false }).lv("vg_gfs/lv_data", { size: "100%FREE", active: false }),
      then: (sim) => {
        // Two journals of 64 MB, and the filesystem fills the LV (one block short, as mkfs.gfs2 lays it out).
        expect(sim.state.devices.get("/dev/vg_gfs/lv_data")?.signature).toEqual({ type: "gfs2", lockTable: "gfscluster:data", fsBytes: 4092 * 1024 ** 2 - 4096, journalsMb: [64, 64] });
        // Lockspace started, LV activated shared, mkfs; the LV stays active, so the re-check read the result back.
        const compiled = [...mkfs.params.activate, ...mkfs.params.commands];
        expect(compiled.map((argv) => (argv[0] === "mkfs.gfs2" ? "mkfs.gfs2" : quoteCommand(argv)))).toEqual(["vgchange --lockstart vg_gfs", "lvchange --activate sy vg_gfs/lv_data", "mkfs.gfs2"]);
        expect(sim.mutations).toEqual(compiled.map((argv) => quoteCommand(argv)));
        expect(sim.state.lvs.get("vg_gfs/lv_data")?.active).toBe(true);
      },
    },
  ],
  "gfs2-grow": [
    {
      given: "lv_data grown to 3G under a mounted 2G GFS2",
      step: T("cluster/gfs2/data/grow", "gfs2-grow"),
      node: () => mountedNode(3 * GIB, { fsBytes: 2 * GIB - 4096 }),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "gfs2_grow /srv/data: /dev/vg_gfs/lv_data is 3G, the filesystem <2.00G" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["gfs2_grow /srv/data"]);
        expect(sim.state.devices.get(LV)?.signature?.fsBytes).toBe(3 * GIB - 4096);
      },
    },
  ],
  "gfs2-journals": [
    {
      given: "a mounted GFS2 with one 32 MB journal, the spec says two",
      step: T("cluster/gfs2/data/journals", "gfs2-journals"),
      node: () => mountedNode(3 * GIB, { journalsMb: [32] }),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "gfs2_jadd -j 1 -J 32 /srv/data: 1 → 2 journals" }),
      then: (sim) => {
        expect(sim.mutations).toEqual(["gfs2_jadd -j 1 -J 32 /srv/data"]);
        expect(sim.state.devices.get(LV)?.signature?.journalsMb).toEqual([32, 32]);
      },
    },
    {
      given: "one 64 MB journal, the spec says two of 32 MB: the new one gets 32, the old one keeps 64",
      step: T("cluster/gfs2/data/journals", "gfs2-journals"),
      node: () => mountedNode(3 * GIB, { journalsMb: [64] }),
      expectFirst: (r) => expect(r).toEqual({ status: "change", reason: "gfs2_jadd -j 1 -J 32 /srv/data: 1 → 2 journals; existing journals keep 64 MB" }),
      then: (sim) => expect(sim.state.devices.get(LV)?.signature?.journalsMb).toEqual([64, 32]),
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

describe("EL repositories and the LVM devices file", () => {
  it("repos refuses a repository id no file on the node defines, naming cluster.repos, and changes nothing", async () => {
    // GIVEN a RHEL 9 node: its add-on repositories have subscription-manager's ids
    const sim = new NodeSim("rhel-a");
    sim.state.repos.set("rhel-9-for-x86_64-highavailability-rpms", false).set("rhel-9-for-x86_64-resilientstorage-rpms", false);
    const r = await readOnlyCheck(sim, E("rhel-a/repos", "repos"), contextFor(sim));
    expect(r).toMatchObject({ status: "refuse", reason: "no repository highavailability, resilientstorage is defined on this node", hint: expect.stringContaining("set cluster.repos") as unknown });
    expect(sim.mutations).toEqual([]);
  });

  it.each([
    ["use_devicesfile=0 (EL8's default)", false, true],
    ["use_devicesfile=1 but no devices file", true, false],
  ])("lvm-device leaves LVM alone with %s: creating a devices file would hide the node's other PVs", async (_, on, withFile) => {
    const sim = devicesFileNode("rhel-b");
    sim.state.useDevicesFile = on;
    if (!withFile) sim.t.files.delete("/etc/lvm/devices/system.devices");
    const r = await readOnlyCheck(sim, E("rhel-b/lvm/devices/drbd0", "lvm-device"), contextFor(sim));
    expect(r).toEqual({ status: "ok", note: "no LVM devices file in use: lvmlocal.conf's filter decides" });
    expect(sim.mutations).toEqual([]);
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

describe("corosync changes: the file steps only write, cluster-start restarts", () => {
  const RESTART = ["systemctl enable corosync.service pacemaker.service", "systemctl stop pacemaker.service corosync.service", `rm -f ${RESTART_MARKER}`, "systemctl start corosync.service pacemaker.service"];

  it("corosync.conf changed for the same cluster and nodes: a reload, no restart, and cluster-start has nothing to do", async () => {
    // GIVEN the cluster running on an older corosync.conf (another token timeout)
    const sim = runningWith(corosyncConf.params.content.replace("token: 3000", "token: 1000"));
    const ctx = contextFor(sim);
    // WHEN the file step applies
    await apply(corosyncConf, ctx);
    // THEN corosync re-read the file in place, and nothing stopped
    expect(sim.mutations).toEqual(["corosync-cfgtool -R"]);
    clusterUp(sim);
    // AND cluster-start finds no restart due
    expect(await readOnlyCheck(sim, clusterStart, ctx)).toEqual({ status: "ok" });
    expect(sim.unknown).toEqual([]);
  });

  it("another cluster name running: the file is written without a restart, then cluster-start stops pacemaker and corosync and starts both", async () => {
    // GIVEN the cluster running under the name 'oldname'
    const sim = runningWith(renamed);
    const ctx = contextFor(sim);
    // WHEN the file step applies
    await apply(corosyncConf, ctx);
    // THEN the file is right and nothing ran: the cluster still runs under its old name
    expect(await check(corosyncConf, ctx)).toEqual({ status: "ok" });
    expect(sim.mutations).toEqual([]);
    clusterUp(sim);
    expect(sim.state.corosync?.name).toBe("oldname");
    // AND cluster-start says a restart is due, without changing anything to find out
    expect(await readOnlyCheck(sim, clusterStart, ctx)).toEqual({ status: "change", reason: "restart corosync and pacemaker: the running cluster name or node list differs from corosync.conf", restart: "corosync, pacemaker" });
    // WHEN cluster-start applies
    await apply(clusterStart, ctx);
    // THEN it stopped pacemaker before corosync, started both, and the cluster runs under the spec's name
    expect(sim.mutations).toEqual(RESTART);
    clusterUp(sim);
    expect(sim.state.corosync).toMatchObject({ name: "gfscluster", addresses: ["10.0.0.11", "10.0.0.12"] });
    // AND both steps are ok after
    expect(await check(clusterStart, ctx)).toEqual({ status: "ok" });
    expect(await check(corosyncConf, ctx)).toEqual({ status: "ok" });
    expect(sim.unknown).toEqual([]);
  });

  it("a replaced authkey: the step leaves word in /run, cluster-start restarts on the new key and removes the word", async () => {
    // GIVEN the cluster running on another authkey
    const sim = runningWith(corosyncConf.params.content, OLD_AUTHKEY);
    const ctx = contextFor(sim);
    // WHEN the authkey step applies
    await apply(authkey, ctx);
    // THEN the key is replaced and the marker written, and corosync still runs on the old key
    expect(await check(authkey, ctx)).toEqual({ status: "ok" });
    expect(sim.mutations).toEqual(["mkdir -p /run/gfsdeploy", `touch ${RESTART_MARKER}`]);
    expect(sim.t.files.has(RESTART_MARKER)).toBe(true);
    clusterUp(sim);
    expect(sim.state.corosync?.authkey).toBe(digest(OLD_AUTHKEY));
    // AND cluster-start says a restart is due
    expect(await readOnlyCheck(sim, clusterStart, ctx)).toEqual({ status: "change", reason: "restart corosync and pacemaker: the authkey was replaced", restart: "corosync, pacemaker" });
    // WHEN cluster-start applies
    const from = sim.mutations.length;
    await apply(clusterStart, ctx);
    // THEN it restarted both (pacemaker stopped first) on the new key, and the marker is gone
    expect(sim.mutations.slice(from)).toEqual(RESTART);
    expect(sim.t.files.has(RESTART_MARKER)).toBe(false);
    clusterUp(sim);
    expect(sim.state.corosync?.authkey).toBe(digest(AUTHKEY));
    // AND the next run restarts nothing
    expect(await check(clusterStart, ctx)).toEqual({ status: "ok" });
    expect(sim.unknown).toEqual([]);
  });

  it("a replaced authkey while the cluster is stopped: cluster-start starts it once on the new key and removes the word", async () => {
    // GIVEN corosync.conf and an old authkey in place, the cluster not running
    const sim = preparedNode("node1");
    sim.t.setFile(corosyncConf.params.path, corosyncConf.params.content).setFile("/etc/corosync/authkey", OLD_AUTHKEY, { mode: 0o400 });
    const ctx = contextFor(sim);
    // WHEN the authkey step and then cluster-start apply
    await apply(authkey, ctx);
    expect(sim.t.files.has(RESTART_MARKER)).toBe(true);
    expect(await readOnlyCheck(sim, clusterStart, ctx)).toMatchObject({ status: "change", reason: "restart corosync and pacemaker: the authkey was replaced" });
    await apply(clusterStart, ctx);
    // THEN the cluster runs on the new key, the marker is gone, and cluster-start is ok
    expect(sim.mutations.slice(2)).toEqual(RESTART);
    expect(sim.state.corosync?.authkey).toBe(digest(AUTHKEY));
    expect(sim.t.files.has(RESTART_MARKER)).toBe(false);
    expect(await check(clusterStart, ctx)).toEqual({ status: "ok" });
    expect(sim.unknown).toEqual([]);
  });
});
