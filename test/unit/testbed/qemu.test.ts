import { describe, expect, it } from "vitest";
import { cachePaths, nodeRunPaths } from "../../../src/testbed/paths.js";
import { qemuArgs } from "../../../src/testbed/qemu.js";
import type { Accel } from "../../../src/testbed/accel.js";
import type { NodeName } from "../../../src/testbed/nodes.js";

const paths = cachePaths({ GFSDEPLOY_CACHE: "/cache" });

function argsFor(node: NodeName, accel: Accel = "tcg"): string[] {
  return qemuArgs({ node, accel, paths, run: nodeRunPaths(paths, node) });
}

/** The value following each occurrence of `flag`. */
function values(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag && args[i + 1] !== undefined ? [args[i + 1] as string] : []));
}

describe("qemuArgs", () => {
  it("restricts the management NIC and forwards ssh on loopback only", () => {
    const netdevs = values(argsFor("node1"), "-netdev");
    expect(netdevs).toContain("user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:2201-:22");
    expect(values(argsFor("node2"), "-netdev")).toContain("user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:2202-:22");
  });

  it("wires the two VMs with UDP sockets on 127.0.0.1, each sending to the other's port", () => {
    expect(values(argsFor("node1"), "-netdev")).toContain("socket,id=wire,udp=127.0.0.1:10002,localaddr=127.0.0.1:10001");
    expect(values(argsFor("node2"), "-netdev")).toContain("socket,id=wire,udp=127.0.0.1:10001,localaddr=127.0.0.1:10002");
  });

  it("binds no host endpoint to any address but 127.0.0.1 and never bridges", () => {
    for (const node of ["node1", "node2"] as const) {
      const args = argsFor(node);
      const netdevs = values(args, "-netdev");
      expect(netdevs).toHaveLength(2);
      for (const netdev of netdevs) {
        expect(netdev).toMatch(/^(user|socket),/);
        const addresses = [...netdev.matchAll(/(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
        expect(addresses.length).toBeGreaterThan(0);
        expect(new Set(addresses)).toEqual(new Set(["127.0.0.1"]));
      }
      expect(args.join(" ")).not.toMatch(/bridge|tap|vde|mcast/);
    }
  });

  it("shares the one SBD disk read-write between both VMs", () => {
    for (const node of ["node1", "node2"] as const) {
      const args = argsFor(node);
      expect(values(args, "-drive")).toContain("file=/cache/testbed/run/sbd.raw,if=none,id=sbd,format=raw,cache=none,aio=native");
      expect(values(args, "-device")).toContain("virtio-blk-pci,drive=sbd,serial=sbd,share-rw=on");
    }
  });

  it("gives each VM its own root overlay and DRBD disk", () => {
    const drives = values(argsFor("node2"), "-drive");
    expect(drives).toContain("file=/cache/testbed/run/node2.qcow2,if=none,id=root,format=qcow2,discard=unmap");
    expect(drives).toContain("file=/cache/testbed/run/drbd-node2.qcow2,if=none,id=drbd,format=qcow2,cache=none,aio=native");
    expect(values(argsFor("node2"), "-device")).toContain("virtio-blk-pci,drive=drbd,serial=drbd");
  });

  it("has a watchdog that resets the VM", () => {
    const args = argsFor("node1");
    expect(values(args, "-device")).toContain("i6300esb");
    expect(values(args, "-action")).toEqual(["watchdog=reset"]);
  });

  it("boots the kernel directly with the node's hostname, under TCG unless KVM is chosen", () => {
    const tcg = argsFor("node2");
    expect(values(tcg, "-machine")).toEqual(["q35,accel=tcg,kernel-irqchip=off"]);
    expect(values(tcg, "-cpu")).toEqual(["max"]);
    expect(values(tcg, "-kernel")).toEqual(["/cache/testbed/images/debian12/vmlinuz"]);
    expect(values(tcg, "-append")[0]).toContain("systemd.hostname=node2");
    expect(values(tcg, "-qmp")).toEqual(["unix:/cache/testbed/run/node2.qmp,server=on,wait=off"]);
    const kvm = argsFor("node2", "kvm");
    expect(values(kvm, "-machine")).toEqual(["q35,accel=kvm"]);
    expect(values(kvm, "-cpu")).toEqual(["host"]);
  });

  it("doubles commas in paths so QEMU does not read them as option separators", () => {
    const odd = cachePaths({ GFSDEPLOY_CACHE: "/a,b" });
    const args = qemuArgs({ node: "node1", accel: "tcg", paths: odd, run: nodeRunPaths(odd, "node1") });
    expect(values(args, "-drive")[0]).toBe("file=/a,,b/testbed/run/node1.qcow2,if=none,id=root,format=qcow2,discard=unmap");
  });
});
