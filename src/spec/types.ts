/**
 * The cluster spec (`apiVersion: gfsdeploy/v1`) after schema validation and defaults.
 * Each field documents its default; the JSON Schema in schema.ts is the enforcement.
 */

export type Distro = "debian13" | "debian12" | "ubuntu2404" | "el9" | "el8" | "el7";
export type DrbdDialect = "8.4" | "9";
export type LockManager = "lvmlockd" | "clvmd" | "none";

/** A secret is never inline: it is read from an environment variable or a file. */
export interface SecretRef {
  env?: string;
  file?: string;
}

export interface SshSettings {
  /** Login user on every node. Default `root`. */
  user: string;
  /** SSH port. Default 22. */
  port: number;
  /** Private key file. Default: the ssh agent / default keys of node-ssh are not used; required in practice. */
  identityFile?: string;
  /** OpenSSH known_hosts file the host keys are checked against. Default `~/.ssh/known_hosts`. */
  knownHosts: string;
}

export interface NodeSpec {
  /** Cluster node name; must equal the host's hostname (corosync and pacemaker match on it). */
  name: string;
  /** Address or DNS name gfsdeploy connects to over SSH. */
  host: string;
  /** Cluster-wire address: corosync link 0 and the DRBD replication address. */
  ring0: string;
  /** Optional second corosync link (knet only). */
  ring1?: string;
  /** Per-node SSH overrides (e.g. port forwards in a test bed). Default: the top-level `ssh`. */
  ssh?: { port?: number; user?: string };
}

export interface CorosyncSpec {
  /** Default `knet`; `udpu` for corosync 2 (EL7). */
  transport: "knet" | "udpu";
  /** knet encryption. Default aes256/sha256. Ignored for udpu (which has none). */
  crypto: { cipher: "none" | "aes256" | "aes192" | "aes128"; hash: "none" | "md5" | "sha1" | "sha256" | "sha384" | "sha512" };
  /** Token timeout in ms. Default 3000. */
  token: number;
  /** `two_node: 1` in votequorum. Default: on exactly when there are two nodes. */
  twoNode?: boolean;
}

export interface FenceDeviceSpec {
  /** Resource id in the CIB, as written here. */
  name: string;
  /** Fence agent, e.g. `fence_ipmilan`, `fence_sbd`. */
  agent: string;
  /** The node this device fences (sets pcmk_host_list). */
  target?: string;
  /** Several nodes fenced by one device (e.g. fence_sbd). Default: all nodes when no target. */
  targets?: string[];
  /** Agent options; `password` may be a secret reference (it is then kept out of the CIB). */
  options: Record<string, string | number | boolean | SecretRef>;
  /** Keep the device off the node it fences. Default true for single-target devices. */
  avoidTarget?: boolean;
  /** Nodes the device may run on. Default: any node (minus the target when avoidTarget). */
  allowedNodes?: string[];
  /** Operation timeouts, e.g. `{ monitor: "60s", start: "60s" }`. Default: the agent's. */
  timeouts?: { monitor?: string; start?: string };
}

export interface SbdSpec {
  /** Shared disk(s) for SBD, by a stable path (`/dev/disk/by-id/...`). */
  devices: string[];
  /** Hardware or softdog watchdog. Default `/dev/watchdog`. */
  watchdog: string;
  /** Seconds. Default 5 (raise it for slow VMs). */
  watchdogTimeout: number;
  /** Seconds. Default 2 × watchdogTimeout. */
  msgwaitTimeout?: number;
}

export interface StonithSpec {
  /** Default true. false needs `acknowledgeDataLossRisk: true` and is for tests only. */
  enabled: boolean;
  acknowledgeDataLossRisk?: boolean;
  /** Pacemaker `stonith-timeout`, e.g. `180s`. Default: pacemaker's (60s). */
  timeout?: string;
  /**
   * Two-node clusters only: the node that wins a fence race after the cluster link breaks.
   * Fencing it is delayed by `raceDelay`, so its peer is fenced first and both never die.
   * Default: the first node.
   */
  survivor?: string;
  /** How long fencing the survivor waits (`pcmk_delay_base`). Default `15s`: longer than a fence takes to land. */
  raceDelay: string;
  /** Turn SBD on (poison-pill fencing on a shared disk with a watchdog). */
  sbd?: SbdSpec;
  devices: FenceDeviceSpec[];
}

export interface AfterSplitBrain {
  /** Default `discard-zero-changes`. */
  zeroPrimaries: string;
  /** Default `discard-secondary`. */
  onePrimary: string;
  /** Default `disconnect`. */
  twoPrimaries: string;
}

export interface DrbdResourceSpec {
  name: string;
  /** TCP port, default 7789 + index. */
  port: number;
  /** /dev/drbdMINOR. */
  minor: number;
  /** Backing disk on every node. */
  disk?: string;
  /** Backing disk per node name, when they differ. */
  disks?: Record<string, string>;
}

export interface DrbdSpec {
  /** `auto`: 8.4 for debian12/ubuntu2404/el7 (in-tree or kmod-drbd84), 9 for el8/el9. */
  version: "auto" | DrbdDialect;
  /** Replication protocol. Default C (the only one dual-primary accepts). */
  protocol: "A" | "B" | "C";
  afterSb: AfterSplitBrain;
  /**
   * First bring-up of brand-new, blank disks: `skip` clears the bitmap (no initial sync),
   * `full` makes one node primary --force and syncs everything. Default `full` (always safe).
   */
  initialSync: "full" | "skip";
  /** A fixed resync rate, e.g. `100M` (DRBD's dynamic controller is turned off). Default: the dynamic controller. */
  resyncRate?: string;
  resources: DrbdResourceSpec[];
}

export interface LogicalVolumeSpec {
  name: string;
  /** `100%FREE`, `50%VG` or an absolute size like `20G`. */
  size: string;
}

export interface VolumeGroupSpec {
  name: string;
  /** References like `drbd/r0`. */
  pvs: string[];
  logicalVolumes: LogicalVolumeSpec[];
}

export interface LvmSpec {
  /** Default `lvmlockd` (`clvmd` on el7). `none`: GFS2 straight on /dev/drbdN. */
  locking: LockManager;
  volumeGroups: VolumeGroupSpec[];
}

export interface FilesystemSpec {
  /** GFS2 lock table is `cluster.name:name`. */
  name: string;
  /** `vg/lv` or `drbd/RESOURCE`. */
  device: string;
  mountpoint: string;
  /** Default: the number of nodes. */
  journals: number;
  /** Journal size with unit M, default `64M` (mkfs.gfs2 -J, 8..1024 MB). */
  journalSize: string;
  /** Mount options. Default `[noatime]`. */
  options: string[];
}

export interface BenchSpec {
  /** Install what `gfsdeploy bench` runs (fio, iperf3, ctdb for ping_pong) during apply. Default false. */
  enabled: boolean;
}

export interface ClusterSpec {
  name: string;
  /** `auto`: read from the nodes' /etc/os-release when nodes are contacted (never offline). */
  distro: Distro | "auto";
  /**
   * EL only: repository ids enabled before packages are installed. Default: el9
   * `highavailability`, `resilientstorage` (Rocky, AlmaLinux, CentOS Stream 9); el8 `ha`,
   * `resilientstorage` (Rocky, AlmaLinux 8); el7 none (CentOS 7's base repository has the
   * cluster packages). RHEL names them differently, e.g.
   * `rhel-9-for-x86_64-highavailability-rpms` and `rhel-9-for-x86_64-resilientstorage-rpms`.
   */
  repos?: string[];
  /** EL only: install ELRepo's release package for kmod-drbd9x/kmod-drbd84. Default true. */
  elrepo?: boolean;
}

export interface Spec {
  apiVersion: "gfsdeploy/v1";
  cluster: ClusterSpec;
  ssh: SshSettings;
  nodes: NodeSpec[];
  secrets: { haclusterPassword: SecretRef; authkey: { file: string } };
  corosync: CorosyncSpec;
  stonith: StonithSpec;
  drbd: DrbdSpec;
  lvm: LvmSpec;
  filesystems: FilesystemSpec[];
  bench: BenchSpec;
}

/** A top-level section of the spec: the unit whose shape decides whether a rule may read it. */
export type Section = keyof Spec;

/** A spec whose `distro: auto` has been resolved (compile needs a concrete target). */
export type ConcreteSpec = Spec & { cluster: ClusterSpec & { distro: Distro } };
