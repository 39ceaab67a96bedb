/**
 * The simulator itself: its outputs must read the way the real tools' do to the parsers the
 * handlers use, or the step tests prove nothing.
 */

import { describe, expect, it } from "vitest";

import { RemoteCommandError } from "../../../src/errors.js";
import { parseCrmMon } from "../../../src/steps/crm.js";
import { signature, signatureReads } from "../../../src/probes/node.js";
import { AUTHKEY, contextFor, lvmlockdPlan, preparedNode, stepOf } from "./harness.js";
import { NodeSim } from "./node-sim.js";

const baseCommands = stepOf(lvmlockdPlan, "cluster/cib/base", "cib").params.commands;
const fsCommands = stepOf(lvmlockdPlan, "cluster/cib/filesystems", "cib").params.commands;

describe("NodeSim", () => {
  it("answers a command it has no model for with 127 and remembers it", async () => {
    const sim = new NodeSim("node1");
    expect((await sim.t.exec("drbdadm", ["invalidate", "r0"])).code).toBe(10);
    expect((await sim.t.exec("wipefs", ["-a", "/dev/vdb"])).code).toBe(127);
    expect(sim.unknown).toEqual(["wipefs -a /dev/vdb"]);
  });

  it("prints crm_mon XML that parseCrmMon reads: nodes, quorum, clones of primitives and of groups", async () => {
    const sim = preparedNode("node1").clusterRunning([{ name: "node2", online: true }]).loadCib([...baseCommands, ...fsCommands]);
    sim.pacemakerSettles();
    const state = parseCrmMon((await sim.t.exec("crm_mon", ["-1", "--output-as=xml"])).stdout);
    expect(state).toMatchObject({ quorate: true, dc: true, online: ["node1", "node2"], failures: [] });
    expect(Object.fromEntries([...state.roles].map(([id, m]) => [id, Object.fromEntries(m)]))).toEqual({
      "fence-node1": { node1: "Started" },
      "fence-node2": { node1: "Started" },
      "drbd_r0-clone": { node1: "Promoted", node2: "Promoted" },
      "locking-clone": { node1: "Started", node2: "Started" },
      "data-group-clone": { node1: "Started", node2: "Started" },
    });
  });

  it("reports stopped clone instances, an offline peer without quorum, and failed actions", async () => {
    const sim = preparedNode("node1").clusterRunning([{ name: "node2", online: false }]).loadCib(baseCommands);
    sim.state.failures.push({ opKey: "drbd_r0_start_0", node: "node1", reason: "r0: Called drbdadm -c /etc/drbd.conf primary r0" });
    const state = parseCrmMon((await sim.t.exec("crm_mon", ["-1", "--output-as=xml"])).stdout);
    expect(state).toMatchObject({ quorate: false, online: ["node1"], failures: ["drbd_r0_start_0 on node1: r0: Called drbdadm -c /etc/drbd.conf primary r0"] });
    // A stopped instance names no node, so it adds no role: the readiness checks see "not there".
    expect(Object.fromEntries(state.roles.get("drbd_r0-clone") ?? [])).toEqual({});
    expect((await sim.t.exec("crm_mon", ["-1", "--output-as=xml"])).stdout).toContain('<resource id="drbd_r0" resource_agent="ocf:linbit:drbd" role="Stopped" active="false"');
  });

  it("answers crm_mon with exit 102 while Pacemaker is down", async () => {
    expect((await preparedNode("node1").t.exec("crm_mon", ["-1", "--output-as=xml"])).code).toBe(102);
  });

  it("prints blkid -p -o export the way signature() reads it", async () => {
    const sim = new NodeSim("node1").disk("/dev/a", { type: "ext4" }).disk("/dev/b", { ptType: "gpt" }).disk("/dev/c").disk("/dev/d", { type: "gfs2", lockTable: "c:fs" });
    const devices = ["/dev/a", "/dev/b", "/dev/c", "/dev/d", "/dev/none"];
    const facts = await contextFor(sim).read(devices.flatMap(signatureReads));
    expect(devices.map((d) => signature(facts, d))).toEqual(["ext4", "partition table gpt", undefined, "gfs2", "missing"]);
  });

  it("prints a VG's name and lock type the way vgs does (as LVM 2.03.16 on the test bed): padded columns, blanks for a local VG", async () => {
    const sim = new NodeSim("node1").disk("/dev/a").disk("/dev/b");
    sim.vg("vg_gfs", { lockType: "dlm", pvs: ["/dev/a"], lockStarted: true }).vg("local", { lockType: "", pvs: ["/dev/b"], lockStarted: false });
    const lockType = (vg: string) => sim.t.exec("vgs", ["--noheadings", "-o", "vg_name,vg_lock_type", vg]);
    expect(await lockType("vg_gfs")).toMatchObject({ code: 0, stdout: "  vg_gfs dlm     \n" });
    expect(await lockType("local")).toMatchObject({ code: 0, stdout: "  local         \n" });
    expect((await lockType("absent")).code).toBe(5);
    expect(sim.unknown).toEqual([]);
  });

  it("stops pvcreate at its wipe prompt over another signature, unless it runs with -ff -y", async () => {
    const sim = new NodeSim("node1").disk("/dev/a", { type: "ext4" });
    const plain = await sim.t.exec("pvcreate", ["/dev/a"]);
    expect(plain.code).toBe(5);
    expect(plain.stderr).toContain("ext4 signature detected on /dev/a at offset 1080. Wipe it? [y/n]: [n]");
    expect(sim.state.devices.get("/dev/a")?.signature).toEqual({ type: "ext4" });
    expect((await sim.t.exec("pvcreate", ["-ff", "-y", "/dev/a"])).code).toBe(0);
    expect(sim.state.devices.get("/dev/a")?.signature).toEqual({ type: "LVM2_member" });
    expect(sim.mutations).toEqual(["pvcreate /dev/a", "pvcreate -ff -y /dev/a"]);
    expect(sim.unknown).toEqual([]);
  });

  it("logs changing commands, and leaves reads out of that log", async () => {
    const sim = preparedNode("node1");
    await sim.t.exec("systemctl", ["is-active", "pcsd"]);
    await sim.t.exec("systemctl", ["stop", "pcsd"]);
    expect(sim.mutations).toEqual(["systemctl stop pcsd"]);
    expect(sim.state.units.get("pcsd.service")?.active).toBe(false);
  });

  it("fails a write into a directory only gfsdeploy makes until mkdir -p made it, the way the real transport's mktemp does", async () => {
    const sim = new NodeSim("node1");
    const script = "/var/lib/gfsdeploy/scripts/0123456789ab-cib_sync.py";
    const error: unknown = await sim.t.writeFile(script, "print()\n", { mode: 0o755 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((error as Error).message).toContain(`write ${script}`);
    expect((error as Error).message).toContain("No such file or directory");
    expect(sim.t.files.has(script)).toBe(false);
    // A directory the OS or a package provides needs no mkdir.
    await sim.t.writeFile("/etc/corosync/corosync.conf", "totem {}\n");
    // Once made, the cache directory takes the write.
    expect((await sim.t.exec("mkdir", ["-p", "/var/lib/gfsdeploy/scripts"])).code).toBe(0);
    await sim.t.writeFile(script, "print()\n", { mode: 0o755 });
    expect(sim.t.files.get(script)?.mode).toBe(0o755);
    expect(sim.unknown).toEqual([]);
  });

  it("touches, tests and removes a file in /run/gfsdeploy once the directory is made", async () => {
    const sim = new NodeSim("node1");
    const marker = "/run/gfsdeploy/corosync-restart-needed";
    const exists = async (path: string) => (await sim.t.exec("test", ["-e", path])).code === 0;
    expect((await sim.t.exec("touch", [marker])).code).toBe(1);
    expect(await exists("/run/gfsdeploy")).toBe(false);
    await sim.t.exec("mkdir", ["-p", "/run/gfsdeploy"]);
    expect(await exists("/run/gfsdeploy")).toBe(true);
    expect(await exists(marker)).toBe(false);
    expect((await sim.t.exec("touch", [marker])).code).toBe(0);
    expect(await exists(marker)).toBe(true);
    expect((await sim.t.exec("rm", ["-f", marker])).code).toBe(0);
    expect(await exists(marker)).toBe(false);
    // rm -f of what is not there succeeds, as the real one does.
    expect((await sim.t.exec("rm", ["-f", marker])).code).toBe(0);
    expect(sim.mutations).toEqual(["touch /run/gfsdeploy/corosync-restart-needed", "mkdir -p /run/gfsdeploy", "touch /run/gfsdeploy/corosync-restart-needed", "rm -f /run/gfsdeploy/corosync-restart-needed", "rm -f /run/gfsdeploy/corosync-restart-needed"]);
    expect(sim.unknown).toEqual([]);
  });

  it("reloads a new node list but not a new cluster name; a restart takes both, and the authkey", async () => {
    // GIVEN corosync running as 'old' on one key
    const conf = (name: string, addresses: string[]) => `totem {\n    cluster_name: ${name}\n}\nnodelist {\n${addresses.map((a) => `    node {\n        ring0_addr: ${a}\n    }\n`).join("")}}\n`;
    const sim = preparedNode("node1");
    sim.t.setFile("/etc/corosync/corosync.conf", conf("old", ["10.0.0.11"])).setFile("/etc/corosync/authkey", Buffer.alloc(256, 1), { mode: 0o400 });
    sim.clusterRunning([]);
    const cmap = async () => [(await sim.t.exec("corosync-cmapctl", ["-g", "totem.cluster_name"])).stdout, (await sim.t.exec("corosync-cmapctl", ["-b", "nodelist.node"])).stdout].join("");
    // WHEN the file and the key change and corosync reloads
    sim.t.setFile("/etc/corosync/corosync.conf", conf("new", ["10.0.0.11", "10.0.0.12"])).setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 });
    expect((await sim.t.exec("corosync-cfgtool", ["-R"])).code).toBe(0);
    // THEN it runs the new node list under the old name, on the old key
    expect(await cmap()).toBe("totem.cluster_name (str) = old\nnodelist.node.0.nodeid (u32) = 1\nnodelist.node.0.ring0_addr (str) = 10.0.0.11\nnodelist.node.1.nodeid (u32) = 2\nnodelist.node.1.ring0_addr (str) = 10.0.0.12\n");
    const oldKey = sim.state.corosync?.authkey;
    // WHEN it restarts, THEN it takes the name and the new key too
    await sim.t.exec("systemctl", ["restart", "corosync"]);
    expect(await cmap()).toContain("totem.cluster_name (str) = new\n");
    expect(sim.state.corosync?.authkey).not.toBe(oldKey);
    expect(sim.unknown).toEqual([]);
  });
});
