import { drbdUnder } from "../plan/cib.js";
import { gfs2LockTable } from "../spec/defaults.js";
import { resolveDevice } from "../spec/refs.js";
import type { FilesystemSpec, Spec } from "../spec/types.js";

/** A GFS2 filesystem as a healthy node shows it. */
export interface FilesystemShape {
  mountpoint: string;
  /** The block device it lives on, whose superblock holds the lock table and journals. */
  device: string;
  /** `cluster:filesystem`, as mkfs.gfs2 wrote it. */
  lockTable: string;
  /** The DLM lockspace a mount joins: the lock table's second half. */
  lockspace: string;
  /** Mount options the mount must show. */
  options: readonly string[];
}

/**
 * What a healthy node shows, from the spec. status, fence-test and bench each build it with
 * healthyShape, so all three mean the same by healthy.
 */
export interface HealthyShape {
  /** Nodes each node must see online; each filesystem's lockspace has them all as members and a journal for each. */
  nodes: readonly string[];
  /** DRBD resources that must be Primary, UpToDate and Connected. */
  resources: readonly string[];
  /** Fence devices that must be started; none when the spec turns stonith off. */
  fenceDevices: readonly string[];
  filesystems: readonly FilesystemShape[];
  /** Programs the caller is about to run on the node, and how a node that lacks one gets it. */
  tools?: { names: readonly string[]; install: string };
}

/** The whole cluster's shape, or only what `filesystem` stands on (with the nodes and fencing). */
export function healthyShape(spec: Spec, filesystem?: FilesystemSpec): HealthyShape {
  const filesystems = filesystem === undefined ? spec.filesystems : [filesystem];
  return {
    nodes: spec.nodes.map((n) => n.name),
    resources: filesystem === undefined ? spec.drbd.resources.map((r) => r.name) : drbdUnder(spec, filesystem),
    fenceDevices: spec.stonith.enabled ? spec.stonith.devices.map((d) => d.name) : [],
    filesystems: filesystems.map((fs) => ({ mountpoint: fs.mountpoint, device: resolveDevice(spec, fs.device).path, lockTable: gfs2LockTable(spec, fs), lockspace: fs.name, options: fs.options })),
  };
}
