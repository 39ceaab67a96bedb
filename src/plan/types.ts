/**
 * A Plan is plain JSON: what `compile` produces, what `plan --json` prints, what the runner
 * walks and what snapshot tests pin. Behaviour lives in the step handlers, keyed by kind.
 */

import type { Distro, DrbdDialect, LockManager } from "../spec/types.js";

/**
 * pcs command dialect: 0.9 on EL7 (`master`), 0.10 on EL8, 0.11 on EL9/Debian 12/Ubuntu 24.04,
 * 0.12 on Debian 13 (Pacemaker 3: Promoted/Unpromoted only, stonith devices only through
 * `pcs stonith`).
 */
export type PcsDialect = "0.9" | "0.10" | "0.11" | "0.12";

/** The phases steps can belong to. Their order is not here but in the playbooks (site.yaml, destroy.yaml). */
export type Phase =
  | "prepare"
  | "corosync"
  | "fencing"
  | "cluster"
  | "drbd"
  | "locking"
  | "storage"
  | "filesystems"
  | "grow"
  | "teardown-filesystems"
  | "teardown-lvm"
  | "teardown-locking"
  | "teardown-drbd"
  | "teardown-fencing"
  | "teardown-cluster";

/** Where a secret comes from, by its spec path: the plan never holds a secret's value. */
export interface SecretUse {
  /** Spec path of the reference, e.g. `secrets.haclusterPassword`. */
  secret: string;
}

export interface StepParams {
  /** Distribution packages installed (and only checked when present). */
  packages: { manager: "apt" | "dnf" | "yum"; names: string[] };
  /**
   * EL: release packages installed (by URL: ELRepo's) and repositories enabled, before the
   * cluster packages. An id no repository file defines is refused, naming `cluster.repos`.
   */
  repos: { manager: "dnf" | "yum"; releasePackages: { name: string; url: string }[]; enable: string[] };
  hostname: { name: string };
  /** A managed block in /etc/hosts so node names resolve to ring0 on every node. */
  hosts: { entries: { address: string; names: string[] }[] };
  /** A whole file whose content the plan knows. `onChange` says how a running service takes it. */
  file: {
    path: string;
    content: string;
    mode: number;
    owner: string;
    group: string;
    onChange?: "corosync-reload" | "drbd-adjust" | "systemd-reload";
    /** DRBD resource to adjust when `onChange` is drbd-adjust. */
    resource?: string;
  };
  /** A file whose bytes are a secret, copied from the controller (corosync authkey, fence passwords). */
  "secret-file": SecretUse & {
    path: string;
    mode: number;
    owner: string;
    group: string;
    /** When the secret is the corosync authkey and no file exists yet, generate one locally. */
    generate?: "corosync-authkey";
    /** A changed key on a running cluster needs a restart of the services that read it. */
    restarts?: string[];
  };
  /** `python`: the interpreter that checks the password against /etc/shadow. */
  "hacluster-password": SecretUse & { user: string; python: string };
  /** systemd unit state. `active` omitted = leave running state alone. */
  service: { unit: string; enabled: boolean; active?: boolean };
  /** pcsd token exchange so pcs commands that talk to all nodes work. */
  "pcs-auth": SecretUse & { nodes: { name: string; address: string }[]; dialect: PcsDialect; python: string };
  /** Initialise the SBD header on the shared disk(s) (destructive). */
  "sbd-device": { devices: string[]; watchdogTimeout: number; msgwaitTimeout: number; commands: string[][] };
  /** Enable and start corosync + pacemaker on one node. */
  "cluster-start": { units: string[] };
  /** Poll until every node is online in a quorate cluster. */
  "cluster-ready": { nodes: string[]; timeoutSec: number };
  /** DRBD metadata (destructive): refuses over an existing filesystem or metadata. */
  "drbd-create-md": { resource: string; disk: string; device: string; dialect: DrbdDialect; commands: string[][] };
  /** `reconnect` runs instead of `commands` for a resource that is up but StandAlone. */
  "drbd-up": { resource: string; commands: string[][]; reconnect: string[][] };
  /** First sync of a fresh pair (or clearing the bitmap of blank disks). Runs once, on one node. */
  "drbd-initial-sync": { resource: string; mode: "full" | "skip"; commands: string[][] };
  /**
   * DRBD grows into larger backing disks (`drbdadm resize`, once, from one node, both nodes'
   * disks grown): judged from this node's backing disk `disk` against the device's size.
   * `peers` sizes the internal metadata, which DRBD 9 keeps a bitmap in for each peer.
   */
  "drbd-resize": { resource: string; disk: string; device: string; dialect: DrbdDialect; peers: number; commands: string[][] };
  /**
   * Part of the CIB. `commands` are this stage's pcs argv lists (without `pcs`); a stage's
   * desired CIB is the result of every stage's commands up to and including it.
   */
  cib: {
    stage: "base" | "filesystems";
    dialect: PcsDialect;
    /** The interpreter pcs runs on, which runs pcs_batch.py and cib_sync.py. */
    python: string;
    /** Commands of the earlier stages, which this stage's desired CIB is built on. */
    prior: string[][];
    commands: string[][];
    resources: string[];
    secrets: { path: string; file: string }[];
  };
  /** Poll the cluster until resources reach a role on every node. */
  "wait-resources": { resources: { id: string; role: "Started" | "Promoted" }[]; nodes: string[]; timeoutSec: number };
  /**
   * The DRBD device listed in LVM's devices file (EL9 turns it on by default), where one is in
   * use: otherwise LVM on this node ignores the PV another node created on it.
   */
  "lvm-device": { device: string; commands: string[][] };
  pvcreate: { device: string; commands: string[][] };
  /**
   * A PV takes in the whole of its grown DRBD device. `drbd` names the resource's backing disk
   * on this node, so a plan lists the pvresize a still pending `drbdadm resize` will call for.
   */
  pvresize: { device: string; drbd: { resource: string; disk: string; dialect: DrbdDialect; peers: number }; commands: string[][] };
  vgcreate: { vg: string; pvs: string[]; locking: LockManager; commands: string[][] };
  /**
   * An LV of the spec, created at its size. An existing one is kept: smaller is the lvextend
   * step's to grow, larger is refused (GFS2 cannot shrink).
   */
  lvcreate: { vg: string; lv: string; size: string; commands: string[][] };
  /** An LV extended to the spec's absolute size (online, under GFS2's shared lock with lvmlockd). */
  lvextend: { vg: string; lv: string; size: string; commands: string[][] };
  /**
   * The kernel's size of a shared LV active on this node follows LVM's metadata after the
   * first node's lvextend: lvmlockd refreshes other nodes itself only when built with dlm
   * control, and Debian 12's is not.
   */
  "lv-refresh": {
    vg: string;
    lv: string;
    /** The spec's absolute size, so a plan lists the refresh an lvextend on the first node will need. */
    size?: string;
    commands: string[][];
  };
  /** Destructive: refuses when the device already holds a filesystem (any, or GFS2 with another lock table). */
  /** `activate` makes the device readable here first (a shared LV); the device is judged again between the two. */
  "mkfs-gfs2": { device: string; lockTable: string; journals: number; journalSizeMb: number; activate: string[][]; commands: string[][] };
  /** A mounted GFS2 grown online (from one node) to the end of its grown device. */
  "gfs2-grow": {
    device: string;
    mountpoint: string;
    /** The LV's absolute size in the spec, so a plan lists the grow its lvextend will call for. */
    lvSize?: string;
    commands: string[][];
  };
  /**
   * Journals added on a mounted GFS2 (gfs2_jadd, from one node) up to `journals`. Fewer in the
   * spec is refused (GFS2 cannot remove a journal); a new size applies to added journals only.
   */
  "gfs2-journals": { device: string; mountpoint: string; journals: number; journalSizeMb: number };

  // ---- teardown (`gfsdeploy destroy`) ----------------------------------------------------------
  /**
   * Resources leave the CIB: each is disabled, the step waits until it is stopped on every node,
   * then deletes it (pcs takes the constraints that name it along). `stonith` resources go
   * through `pcs stonith`, which pcs 0.10+ requires for them.
   */
  "cib-remove": { stage: "filesystems" | "locking" | "drbd" | "fencing"; resources: { id: string; stonith: boolean }[]; timeoutSec: number };
  /** Poll until no GFS2 is mounted at the mount point on this node (Pacemaker unmounts it). */
  "gfs2-unmounted": { mountpoint: string; timeoutSec: number };
  /** Shared LVs inactive on this node and, with lvmlockd, the VG's lockspace left; the LVs stay on disk. */
  "lv-deactivate": { vg: string; lvs: string[]; lockstop: boolean };
  /** Destructive (--wipe): the LVs' signatures wiped, the LVs, the VG and the PV labels removed. */
  "lvm-remove": { vg: string; lvs: string[]; pvs: string[]; commands: string[][]; pvremove: string[][] };
  /** Destructive (--wipe): every signature on a device erased, so nothing on it is found again. */
  "wipe-device": { device: string; commands: string[][] };
  /** DRBD resource down on this node; its metadata and data stay on the backing disk. */
  "drbd-down": { resource: string; commands: string[][] };
  /** Destructive (--wipe): DRBD metadata wiped from the backing disk and the resource file removed. */
  "drbd-wipe-md": { resource: string; disk: string; resFile: string; commands: string[][] };
  /** The cluster gone from this node, as `pcs cluster destroy` leaves it: stopped, disabled, its files removed. */
  "cluster-destroy": {
    /** Stopped in this order, then disabled. */
    units: string[];
    /** Refuse a manual stop (sbd: RefuseManualStop, PartOf=corosync): they go down with corosync, then are disabled. */
    partOf: string[];
    files: string[];
    dirs: string[];
  };
}

export type StepKind = keyof StepParams;

export interface Step<K extends StepKind = StepKind> {
  /** Stable id, e.g. `node1/drbd/r0/create-md` or `cluster/cib/base`. */
  id: string;
  /** Node name the step runs on. */
  host: string;
  kind: K;
  params: StepParams[K];
  dependsOn: string[];
  /** Spec path the step came from, e.g. `drbd.resources[0]`. */
  source: string;
  phase: Phase;
  /** One line for people: what the step makes true. */
  title: string;
  /** Can lose data when it runs: refused over existing data unless forced, marked in `plan`. */
  destructive: boolean;
}

export type AnyStep = { [K in StepKind]: Step<K> }[StepKind];

export interface PlanNode {
  name: string;
  host: string;
  port: number;
  user: string;
  ring0: string;
}

export interface Plan {
  apiVersion: "gfsdeploy/v1";
  cluster: string;
  distro: Distro;
  drbd: DrbdDialect;
  pcs: PcsDialect;
  nodes: PlanNode[];
  steps: AnyStep[];
}
