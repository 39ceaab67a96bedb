/**
 * The QEMU command line of one test-bed VM, as pure data so tests can check the
 * network rule: both host-side endpoints (the ssh forward and the UDP wire) bind
 * 127.0.0.1, and the user-mode NIC is restricted so the guest reaches nothing outside.
 */

import type { Accel } from "./accel.js";
import { LOOPBACK, peerOf, testbedNode } from "./nodes.js";
import type { NodeName } from "./nodes.js";
import type { CachePaths, NodeRunPaths } from "./paths.js";

export const VM_MEMORY_MIB = 2048;
export const OVERLAY_SIZE = "10G";
export const DRBD_DISK_SIZE = "4G";
export const SBD_DISK_BYTES = 64 * 1024 * 1024;

/** QEMU's option syntax separates with commas, so a comma inside a value is doubled. */
function optionValue(text: string): string {
  return text.replaceAll(",", ",,");
}

export interface VmSpec {
  node: NodeName;
  accel: Accel;
  paths: CachePaths;
  run: NodeRunPaths;
}

export function kernelCommandLine(node: NodeName): string {
  return `root=/dev/vda rw console=ttyS0 systemd.hostname=${node} mitigations=off no5lvl`;
}

export function qemuArgs(spec: VmSpec): string[] {
  const { accel, paths, run } = spec;
  const self = testbedNode(spec.node);
  const peer = peerOf(spec.node);
  const machine =
    accel === "kvm"
      ? ["-machine", "q35,accel=kvm", "-cpu", "host"]
      : ["-machine", "q35,accel=tcg,kernel-irqchip=off", "-cpu", "max"];
  return [
    "-name", self.name,
    ...machine,
    "-smp", "1",
    "-m", String(VM_MEMORY_MIB),
    "-display", "none",
    "-daemonize",
    "-pidfile", run.pidFile,
    "-serial", `file:${optionValue(run.console)}`,
    "-qmp", `unix:${optionValue(run.qmpSocket)},server=on,wait=off`,
    "-kernel", paths.kernel,
    "-initrd", paths.initrd,
    "-append", kernelCommandLine(self.name),
    "-drive", `file=${optionValue(run.overlay)},if=none,id=root,format=qcow2,discard=unmap`,
    "-device", "virtio-blk-pci,drive=root,serial=root",
    "-drive", `file=${optionValue(run.drbdDisk)},if=none,id=drbd,format=qcow2,cache=none,aio=native`,
    "-device", "virtio-blk-pci,drive=drbd,serial=drbd",
    // One raw file attached to both VMs: the SBD disk both nodes fence through.
    "-drive", `file=${optionValue(paths.sbdDisk)},if=none,id=sbd,format=raw,cache=none,aio=native`,
    "-device", "virtio-blk-pci,drive=sbd,serial=sbd,share-rw=on",
    // A watchdog that really resets the VM, so SBD self-fencing can be tested.
    "-device", "i6300esb",
    "-action", "watchdog=reset",
    "-netdev", `user,id=mgmt,restrict=on,hostfwd=tcp:${LOOPBACK}:${self.sshPort}-:22`,
    "-device", `virtio-net-pci,netdev=mgmt,mac=${self.mgmtMac}`,
    // UDP unicast between the two QEMUs: a private wire that needs no start order.
    "-netdev", `socket,id=wire,udp=${LOOPBACK}:${peer.wirePort},localaddr=${LOOPBACK}:${self.wirePort}`,
    "-device", `virtio-net-pci,netdev=wire,mac=${self.wireMac}`,
  ];
}
