/**
 * The simulator itself: its outputs must read the way the real tools' do to the parsers the
 * handlers use, or the step tests prove nothing.
 */

import { describe, expect, it } from "vitest";

import { parseCrmMon } from "../../../src/steps/crm.js";
import { signature } from "../../../src/steps/devices.js";
import { contextFor, lvmlockdPlan, preparedNode, stepOf } from "./harness.js";
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
    const ctx = contextFor(sim);
    expect(await signature(ctx, "/dev/a")).toBe("ext4");
    expect(await signature(ctx, "/dev/b")).toBe("partition table gpt");
    expect(await signature(ctx, "/dev/c")).toBeUndefined();
    expect(await signature(ctx, "/dev/d")).toBe("gfs2");
    expect(await signature(ctx, "/dev/none")).toBe("missing");
  });

  it("prints a VG's lock type the way vgs does: one padded column, blanks for a local VG", async () => {
    const sim = new NodeSim("node1").disk("/dev/a").disk("/dev/b");
    sim.vg("shared", { lockType: "dlm", pvs: ["/dev/a"], lockStarted: true }).vg("local", { lockType: "", pvs: ["/dev/b"], lockStarted: false });
    const lockType = (vg: string) => sim.t.exec("vgs", ["--noheadings", "-o", "vg_lock_type", vg]);
    expect(await lockType("shared")).toMatchObject({ code: 0, stdout: "  dlm     \n" });
    expect(await lockType("local")).toMatchObject({ code: 0, stdout: "          \n" });
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
});
