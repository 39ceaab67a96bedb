/**
 * A simulated Debian 12 cluster node for step tests.
 *
 * `NodeSim` holds a small model of what the step handlers look at (packages, hostname, files,
 * systemd units, the shadow password, pcsd tokens, DRBD resources, block devices and their
 * signatures and sizes, LVM with its sizes, GFS2 lock tables, sizes and journals, mounts, SBD
 * headers, the CIB and Pacemaker's view of the cluster) and answers the commands the handlers
 * run through a FakeTransport, reading and changing that model the way the real tools would.
 * Two logs make the contract testable:
 *
 * - `mutations`: every command that changes (or tries to change) the node, so a test can
 *   prove that a check is read-only;
 * - `unknown`: every command the sim has no model for (answered 127), so a test notices when
 *   a handler runs something its simulation never saw, instead of passing on a default.
 *
 * Outputs imitate the real tools closely where handlers parse them (blkid, vgs, lvs, crm_mon
 * XML, drbdadm, sbd dump, tunegfs2, gfs2_edit as gfs2-utils 3.5 prints it); where only the handler's own scripts read a file (the desired
 * CIB), the sim stores JSON instead of XML.
 *
 * Directories are modelled only where gfsdeploy must make them itself (OWN_DIRS): a file
 * written or touched there before `mkdir -p` fails as on a real node. Every other directory a
 * handler writes into is taken to come with the OS or a package.
 */

import { createHash } from "node:crypto";

import { AUTHENTICATED_NAMES, VERIFY_PASSWORD } from "../../../src/steps/pcs.js";
import { exitWith, FakeTransport, ok, type FakeExecCall } from "../../../src/transport/fake.js";
import { writeFileVia } from "../../../src/transport/file-commands.js";
import { quoteCommand } from "../../../src/transport/quote.js";
import type { ExecResult, WriteOptions } from "../../../src/transport/types.js";

/** What blkid finds on a device. */
export interface Signature {
  /** blkid TYPE: ext4, xfs, gfs2, LVM2_member, drbd… Absent for a bare partition table. */
  type?: string;
  /** blkid PTTYPE (gpt, dos). */
  ptType?: string;
  /** GFS2 only: the lock table mkfs.gfs2 -t wrote. */
  lockTable?: string;
  /** GFS2 only: where the last resource group ends, in bytes (gfs2_grow moves it). */
  fsBytes?: number;
  /** GFS2 only: the size of each journal in MB, journal0 first (gfs2_jadd appends). */
  journalsMb?: number[];
}

export interface BlockDevice {
  /** The device node exists (a DRBD device once the resource is up, an LV while active). */
  present: boolean;
  signature?: Signature;
  /** Its size as this node's kernel sees it (blockdev --getsize64); for an LV, as of its activation or last refresh. */
  bytes?: number;
}

export interface UnitState {
  enabled: boolean;
  active: boolean;
}

export type DiskState = "Inconsistent" | "UpToDate" | "Outdated" | "DUnknown";

export interface DrbdResource {
  /** Backing disk, a key of `devices`. */
  disk: string;
  /** The replicated device, /dev/drbdN. */
  device: string;
  metadata: boolean;
  up: boolean;
  role: "Primary" | "Secondary";
  local: DiskState;
  /**
   * The other node, as far as this one can tell; `backingBytes` is the size of its backing
   * disk (the same as this node's unless given), which DRBD learns on connect.
   */
  peer: { up: boolean; disk: DiskState; backingBytes?: number };
  /** A resync is running (after primary --force with an Inconsistent peer). */
  syncing: boolean;
}

export interface VolumeGroup {
  /** vg_lock_type: dlm for lvmlockd, clvm for clvmd, "" for a local VG. */
  lockType: "" | "dlm" | "clvm";
  pvs: string[];
  /** lvmlockd lockspace started on this node (vgchange --lockstart). */
  lockStarted: boolean;
  /** Default 4 MiB, LVM's. */
  extentBytes?: number;
  /** Default 4092 MiB: a 4 GiB DRBD disk less its metadata. */
  sizeBytes?: number;
}

export interface LogicalVolume {
  /** The size it was created with, as given to lvcreate. */
  size: string;
  /** Its size in LVM's metadata (lvs), whole extents. */
  bytes: number;
  active: boolean;
}

export interface SbdHeader {
  watchdog: number;
  msgwait: number;
}

/** One top-level element of the CIB's resources or constraints section. */
export interface CibElement {
  id: string;
  section: "resources" | "constraints";
  tag: "primitive" | "group" | "clone" | "master" | "rsc_location" | "rsc_order" | "rsc_colocation";
  /** Primitive ids inside (a group's or a clone's members; the primitive itself otherwise). */
  members: string[];
  /** The group a clone wraps, if it wraps one. */
  group?: string;
  promotable: boolean;
  /** Resource agent of each member primitive, e.g. ocf:linbit:drbd. */
  agents: Record<string, string>;
  /** The pcs argv that defined it: two definitions differ exactly when these differ. */
  definition: string[][];
}

export interface Cib {
  properties: Map<string, string>;
  elements: Map<string, CibElement>;
}

export interface NodeState {
  hostname: string;
  packages: Set<string>;
  /** Unit name (with its .service suffix) → state; absent = no such unit. */
  units: Map<string, UnitState>;
  /** User → password in clear (the sim's stand-in for a hash); undefined = locked (`!`). */
  shadow: Map<string, string | undefined>;
  devices: Map<string, BlockDevice>;
  drbd: Map<string, DrbdResource>;
  /** How drbdadm answers for an unconfigured resource (8.4 says "Unconfigured", 9 fails). */
  drbdVersion: "8.4" | "9";
  /** PV → its VG and, once pvresize has run, its size (else its VG's, or what pvcreate made of the device). */
  pvs: Map<string, { vg?: string; bytes?: number }>;
  vgs: Map<string, VolumeGroup>;
  /** `vg/lv` → LV. Its device node is /dev/vg/lv while active. */
  lvs: Map<string, LogicalVolume>;
  /** Mountpoint → the device mounted there (all GFS2, mounted by Pacemaker's Filesystem agent). */
  mounts: Map<string, string>;
  sbd: Map<string, SbdHeader>;
  /** Where pcs keeps its tokens: known-hosts (0.10+) or the older tokens file (0.9). */
  pcsVersion: "0.9" | "0.10" | "0.11";
  /**
   * Running corosync: the cluster name and ring0 addresses it read from corosync.conf when it
   * started (a reload takes a new node list, never a new name), and the sha256 of the authkey
   * it started with (only a restart reads the key again).
   */
  corosync?: RunningCorosync;
  /** Directories gfsdeploy made with `mkdir -p` (their parents exist with them). */
  dirs: Set<string>;
  /** The other cluster nodes, as this node's Pacemaker sees them. */
  peers: { name: string; online: boolean }[];
  cib: Cib;
  /** Top-level resource id → node → role, what crm_mon reports. */
  roles: Map<string, Map<string, string>>;
  failures: { opKey: string; node: string; reason: string }[];
  /** EL: repository id → enabled, as dnf repolist reports them (none on a Debian node). */
  repos: Map<string, boolean>;
  /** EL: lvm.conf use_devicesfile (EL9 installs with 1). The file itself is /etc/lvm/devices/system.devices. */
  useDevicesFile: boolean;
}

export interface RunningCorosync {
  name: string;
  addresses: string[];
  /** sha256 (hex) of /etc/corosync/authkey as corosync read it at start; undefined when there was none. */
  authkey?: string;
}

/** Units the cluster packages ship (Debian names). */
const PACKAGE_UNITS: Record<string, string[]> = {
  corosync: ["corosync.service"],
  pacemaker: ["pacemaker.service"],
  pcs: ["pcsd.service"],
  "dlm-controld": ["dlm.service"],
  "lvm2-lockd": ["lvmlockd.service", "lvmlocks.service"],
  sbd: ["sbd.service"],
};

export const KNOWN_HOSTS = "/var/lib/pcsd/known-hosts";
export const PCS_TOKENS = "/var/lib/pcsd/tokens";
const COROSYNC_CONF = "/etc/corosync/corosync.conf";
const AUTHKEY = "/etc/corosync/authkey";

/**
 * Directories no package ships, which gfsdeploy makes itself before it writes into them: its
 * cache, and where a replaced authkey leaves word for cluster-start. /etc/gfsdeploy (the fence
 * secrets) belongs here too, but nothing in src makes it yet: listing it fails secrets.test.ts
 * with the mktemp error a real node gives.
 */
export const OWN_DIRS = ["/var/lib/gfsdeploy", "/run/gfsdeploy"] as const;

const DEBIAN_HOSTS = `127.0.0.1\tlocalhost
127.0.1.1\tdebian

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
`;

const MIB = 1024 ** 2;
const DEFAULT_EXTENT_BYTES = 4 * MIB;
const DEFAULT_VG_BYTES = 4092 * MIB;
/** Where LVM puts a PV's first extent: 1 MiB, LVM's default data alignment. */
const PE_START = MIB;

/** DRBD 8.4's device on a backing disk of `bytes` with internal metadata (the LINBIT guide's formula). */
export function drbdDeviceBytes(bytes: number): number {
  const sectors = Math.floor(bytes / 512);
  return (sectors - (Math.ceil(sectors / 2 ** 18) * 8 + 72)) * 512;
}
/** GFS2's block size, which mkfs.gfs2 picks for every device gfsdeploy makes. */
const GFS2_BLOCK = 4096;

/** Bytes of an lvcreate/lvextend -L size (`3G`, `1.5T`): every unit a power of 1024. */
function absoluteBytes(size: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGTP])$/.exec(size);
  return m ? Math.round(Number(m[1]) * 1024 ** (" KMGTP".indexOf(m[2] as string))) : Number.NaN;
}

const unitName = (u: string) => (u.includes(".") ? u : `${u}.service`);
const uuidOf = (seed: string) => {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
const fail = (code: number, stderr: string) => exitWith(code, stderr.endsWith("\n") ? stderr : `${stderr}\n`);
const sha256 = (body: Buffer) => createHash("sha256").update(body).digest("hex");
const dirname = (path: string) => path.slice(0, Math.max(path.lastIndexOf("/"), 1));

/**
 * A FakeTransport whose writeFile fails the way the real one does (mktemp beside the target)
 * when the target's directory does not exist.
 */
class SimTransport extends FakeTransport {
  constructor(
    host: string,
    private readonly dirExists: (dir: string) => boolean,
  ) {
    super(host);
  }

  override writeFile(path: string, body: string | Buffer, options: WriteOptions = {}): Promise<void> {
    const dir = dirname(path);
    if (this.dirExists(dir)) return super.writeFile(path, body, options);
    this.calls.push({ kind: "writeFile", path, body: Buffer.from(body), options: { ...options } });
    const stderr = `mktemp: failed to create file via template '${dir}/.gfsdeploy-tmp.XXXXXX': No such file or directory\n`;
    return writeFileVia(() => Promise.resolve({ code: 1, stdout: Buffer.alloc(0), stderr }), this.host, path, body, options);
  }
}

export class NodeSim {
  readonly t: FakeTransport;
  readonly state: NodeState;
  /** Command lines that changed, or tried to change, the node; in order. */
  readonly mutations: string[] = [];
  /** Command lines the sim has no model for; they were answered with exit 127. */
  readonly unknown: string[] = [];
  /** The sims of one cluster (see link); a sim alone is its own cluster. */
  private cluster: NodeSim[] = [this];

  /** A Debian 12 node as installed: no cluster packages, hostname `debian`. */
  constructor(readonly name: string) {
    this.t = new SimTransport(name, (dir) => this.dirExists(dir));
    this.state = {
      hostname: "debian",
      packages: new Set(["python3", "systemd", "coreutils"]),
      units: new Map(),
      shadow: new Map([["root", "root-pw"]]),
      devices: new Map(),
      drbd: new Map(),
      drbdVersion: "8.4",
      pvs: new Map(),
      vgs: new Map(),
      lvs: new Map(),
      mounts: new Map(),
      sbd: new Map(),
      pcsVersion: "0.11",
      peers: [],
      cib: { properties: new Map(), elements: new Map() },
      roles: new Map(),
      failures: [],
      dirs: new Set(),
      repos: new Map(),
      useDevicesFile: false,
    };
    this.t.setFile("/etc/hosts", DEBIAN_HOSTS);
    // Registered first, so it has the lowest priority: a test can still script a reply on top.
    this.t.on(
      () => true,
      (call) => this.dispatch(call),
    );
  }

  // ---- setup helpers (not recorded as calls) ------------------------------------------------

  /** Installs packages as apt would: their units (disabled, stopped) and the hacluster user. */
  install(...names: string[]): this {
    for (const n of names) {
      this.state.packages.add(n);
      for (const u of PACKAGE_UNITS[n] ?? []) if (!this.state.units.has(u)) this.state.units.set(u, { enabled: false, active: false });
      if (n === "pacemaker" && !this.state.shadow.has("hacluster")) this.state.shadow.set("hacluster", undefined);
    }
    return this;
  }

  unit(name: string, state: UnitState): this {
    this.state.units.set(unitName(name), { ...state });
    return this;
  }

  disk(path: string, signature?: Signature): this {
    this.state.devices.set(path, { present: true, ...(signature ? { signature } : {}) });
    return this;
  }

  /** Gives a device (made before) the size blockdev --getsize64 reports. */
  sized(path: string, bytes: number): this {
    const dev = this.state.devices.get(path);
    if (!dev) throw new Error(`sized: no device ${path} yet`);
    dev.bytes = bytes;
    return this;
  }

  drbdResource(name: string, r: Partial<DrbdResource> & { disk: string }): this {
    const res: DrbdResource = { device: "/dev/drbd0", metadata: false, up: false, role: "Secondary", local: "Inconsistent", peer: { up: false, disk: "Inconsistent" }, syncing: false, ...r };
    this.state.drbd.set(name, res);
    this.syncDrbdDevice(res);
    return this;
  }

  /** A PV on `device` (which must already be a present device), in `vg` if given. */
  pv(device: string, vg?: string): this {
    this.state.pvs.set(device, vg === undefined ? {} : { vg });
    const dev = this.state.devices.get(device);
    if (dev) dev.signature = { type: "LVM2_member" };
    return this;
  }

  vg(name: string, vg: VolumeGroup): this {
    this.state.vgs.set(name, { ...vg, pvs: [...vg.pvs] });
    for (const pv of vg.pvs) this.pv(pv, name);
    return this;
  }

  /**
   * An LV `vg/lv` of its VG (made first), `bytes` big or as lvcreate makes `size`. Its device
   * node exists while it is active, with that size, and keeps its signature when not.
   */
  lv(key: string, lv: Omit<LogicalVolume, "bytes"> & { bytes?: number; signature?: Signature }): this {
    const bytes = lv.bytes ?? this.newLvBytes(key.split("/")[0] ?? "", lv.size);
    if (typeof bytes === "string") throw new Error(bytes);
    this.state.lvs.set(key, { size: lv.size, bytes, active: lv.active });
    this.state.devices.set(`/dev/${key}`, { present: lv.active, bytes, ...(lv.signature ? { signature: lv.signature } : {}) });
    return this;
  }

  /** Mounts GFS2 on `device` at `mountpoint`, as the Filesystem agent does. */
  mount(mountpoint: string, device: string): this {
    this.state.mounts.set(mountpoint, device);
    return this;
  }

  /** Starts corosync and Pacemaker in the model, as if `systemctl start` had run earlier. */
  clusterRunning(peers: { name: string; online: boolean }[]): this {
    this.install("corosync", "pacemaker", "pacemaker-cli-utils", "pcs");
    this.unit("corosync.service", { enabled: true, active: true }).unit("pacemaker.service", { enabled: true, active: true });
    this.state.hostname = this.name;
    this.state.peers = peers.map((p) => ({ ...p }));
    const conf = this.t.fileText(COROSYNC_CONF);
    this.state.corosync = { ...(conf ? parseCorosync(conf) : { name: "gfscluster", addresses: [] }), ...this.authkeyRead() };
    return this;
  }

  /** Puts the elements these pcs commands define straight into the live CIB. */
  loadCib(commands: string[][]): this {
    const desired = desiredFromPcs(commands);
    if ("error" in desired) throw new Error(desired.error);
    mergeCib(this.state.cib, desired.cib);
    return this;
  }

  /** The other nodes join: everyone online, quorum follows. */
  peersJoin(): void {
    for (const p of this.state.peers) p.online = true;
  }

  /** Pacemaker reaches its goal: every configured resource runs (promoted where promotable) on every online node. */
  pacemakerSettles(): void {
    const online = this.onlineNodes();
    for (const el of this.state.cib.elements.values()) {
      if (el.section !== "resources") continue;
      const roles = new Map<string, string>();
      if (el.tag === "clone" || el.tag === "master") for (const n of online) roles.set(n, el.promotable ? "Promoted" : "Started");
      else if (online[0] !== undefined) roles.set(online[0], "Started");
      this.state.roles.set(el.id, roles);
      if (el.tag === "clone" && online.includes(this.state.hostname)) {
        for (const argv of el.definition) {
          const directory = param(argv, "directory");
          const device = param(argv, "device");
          if (argv.includes("ocf:heartbeat:Filesystem") && directory && device) this.state.mounts.set(directory, device);
        }
      }
    }
  }

  /**
   * Makes these sims one cluster: they share the CIB and crm_mon's roles, and a resource
   * pcs stops on one stops on all of them (mounts, LVs, DRBD, lockspaces).
   */
  static link(...sims: NodeSim[]): void {
    const [head] = sims;
    if (!head) return;
    for (const sim of sims) {
      sim.state.cib = head.state.cib;
      sim.state.roles = head.state.roles;
      sim.cluster = sims;
    }
  }

  /** What Pacemaker stopping `el` leaves on this node: its agents' stop actions, modelled. */
  private stopLocally(el: CibElement): void {
    for (const argv of el.definition) {
      const directory = param(argv, "directory");
      if (argv.includes("ocf:heartbeat:Filesystem") && directory) this.state.mounts.delete(directory);
      const vg = param(argv, "vgname");
      const lv = param(argv, "lvname");
      const key = `${vg ?? ""}/${lv ?? ""}`;
      const active = this.state.lvs.get(key);
      if (argv.includes("ocf:heartbeat:LVM-activate") && active) {
        active.active = false;
        const dev = this.state.devices.get(`/dev/${key}`);
        if (dev) dev.present = false;
      }
      const resource = param(argv, "drbd_resource");
      const r = resource === undefined ? undefined : this.state.drbd.get(resource);
      if (argv.includes("ocf:linbit:drbd") && r) {
        r.up = false;
        r.role = "Secondary";
        this.syncDrbdDevice(r);
      }
      // lvmlockd quits with its lockspaces.
      if (argv.includes("ocf:heartbeat:lvmlockd")) for (const v of this.state.vgs.values()) v.lockStarted = false;
    }
  }

  /**
   * The model and every file, as one comparable value: equal snapshots = nothing changed.
   * `ignoreFile` and `ignoreDir` leave out the files and the made directories a comparison
   * allows to change (gfsdeploy's own cache).
   */
  snapshot(options: { ignoreFile?: (path: string) => boolean; ignoreDir?: (path: string) => boolean } = {}): string {
    const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
    const kept = [...this.t.files.entries()].filter(([p]) => !(options.ignoreFile?.(p) ?? false));
    const files = kept.sort(([a], [b]) => a.localeCompare(b)).map(([p, f]) => [p, f.body.toString("base64"), f.mode, f.owner, f.group]);
    const s = this.state;
    return JSON.stringify({
      ...s,
      packages: [...s.packages].sort(),
      units: sorted(s.units),
      shadow: sorted(s.shadow),
      devices: sorted(s.devices),
      drbd: sorted(s.drbd),
      pvs: sorted(s.pvs),
      vgs: sorted(s.vgs),
      lvs: sorted(s.lvs),
      mounts: sorted(s.mounts),
      sbd: sorted(s.sbd),
      cib: { properties: sorted(s.cib.properties), elements: sorted(s.cib.elements) },
      roles: sorted(s.roles).map(([id, m]) => [id, sorted(m)]),
      dirs: [...s.dirs].filter((d) => !(options.ignoreDir?.(d) ?? false)).sort(),
      files,
    });
  }

  /** Paths written through the transport, and command lines that changed the node, since call index `from`. */
  changesSince(from: number, mutationsFrom: number): string[] {
    const writes = this.t.calls.slice(from).flatMap((c) => (c.kind === "writeFile" ? [`writeFile ${c.path}`] : []));
    return [...writes, ...this.mutations.slice(mutationsFrom)];
  }

  /** The exec'd command lines, as the fake records them. */
  commandLines(): string[] {
    return this.t.commandLines();
  }

  // ---- the commands ------------------------------------------------------------------------------

  private onlineNodes(): string[] {
    const self = this.unitActive("pacemaker.service") ? [this.state.hostname] : [];
    return [...self, ...this.state.peers.filter((p) => p.online).map((p) => p.name)].sort();
  }

  private allNodes(): string[] {
    return [this.state.hostname, ...this.state.peers.map((p) => p.name)].sort();
  }

  private unitActive(u: string): boolean {
    return this.state.units.get(unitName(u))?.active === true;
  }

  /**
   * Whether directory `dir` exists: always outside OWN_DIRS; inside, once gfsdeploy made it
   * (or something below it), or a file in it was put there before the test.
   */
  private dirExists(dir: string): boolean {
    return !OWN_DIRS.some((own) => dir === own || dir.startsWith(`${own}/`)) || this.knownDir(dir);
  }

  /** A directory the model knows of: made by gfsdeploy (itself or below it), or holding a file. */
  private knownDir(dir: string): boolean {
    return [...this.state.dirs].some((d) => d === dir || d.startsWith(`${dir}/`)) || [...this.t.files.keys()].some((p) => p.startsWith(`${dir}/`));
  }

  /** The authkey as corosync reads it when it starts. */
  private authkeyRead(): { authkey?: string } {
    const key = this.t.files.get(AUTHKEY);
    return key ? { authkey: sha256(key.body) } : {};
  }

  private syncDrbdDevice(r: DrbdResource): void {
    const dev = this.state.devices.get(r.device);
    if (dev) dev.present = r.up;
    else this.state.devices.set(r.device, { present: r.up });
  }

  private mutate(call: FakeExecCall): void {
    this.mutations.push(quoteCommand([call.command, ...call.args]));
  }

  private dispatch(call: FakeExecCall): ExecResult {
    const { command, args } = call;
    const reply = this.answer(command, args, call);
    if (reply === undefined) {
      const line = quoteCommand([command, ...args]);
      this.unknown.push(line);
      return exitWith(127, `node-sim: no model for ${line}\n`);
    }
    return reply;
  }

  private answer(command: string, args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    switch (command) {
      case "dpkg-query":
        return this.dpkgQuery(args);
      case "apt-get":
        return this.aptGet(args, call);
      case "uname":
        return args[0] === "-n" && args.length === 1 ? ok(`${this.state.hostname}\n`) : undefined;
      case "hostnamectl":
        if (args[0] !== "set-hostname" || args.length !== 2) return undefined;
        this.mutate(call);
        this.state.hostname = args[1] as string;
        return ok();
      case "systemctl":
        return this.systemctl(args, call);
      case "corosync-cmapctl":
        return this.cmapctl(args);
      case "corosync-cfgtool":
        if (args[0] !== "-R") return undefined;
        this.mutate(call);
        if (!this.unitActive("corosync") || !this.state.corosync) return fail(1, "Could not initialize corosync configuration API error 2");
        // totem.cluster_name cannot change at runtime; the node list can.
        this.state.corosync.addresses = parseCorosync(this.t.fileText(COROSYNC_CONF) ?? "").addresses;
        return ok("Reloading corosync.conf...\nDone\n");
      case "stat":
        return this.stat(args);
      case "sha256sum": {
        if (args.length !== 1) return undefined;
        const f = this.t.files.get(args[0] as string);
        if (!f) return fail(1, `sha256sum: ${args[0]}: No such file or directory`);
        return ok(`${sha256(f.body)}  ${args[0]}\n`);
      }
      // EL7's Python 2 and EL8's platform-python too, as those plans name them.
      case "python3":
      case "/usr/bin/python3":
      case "/usr/bin/python":
      case "/usr/libexec/platform-python":
        return this.python(args, call);
      case "chpasswd":
        return this.chpasswd(call);
      case "pcs":
        return this.pcs(args, call);
      case "drbdadm":
        return this.drbdadm(args, call);
      case "test":
        return this.test(args);
      case "blkid":
        return this.blkid(args);
      case "wipefs": {
        const disk = args.length === 2 && args[0] === "--all" ? this.state.devices.get(args[1] as string) : undefined;
        if (!disk) return undefined;
        this.mutate(call);
        disk.signature = undefined;
        return ok();
      }
      case "rpm":
        return this.rpm(args);
      case "dnf":
        return this.dnf(args, call);
      case "lvmconfig":
        return args.join(" ") === "--typeconfig full devices/use_devicesfile" ? ok(`use_devicesfile=${this.state.useDevicesFile ? 1 : 0}\n`) : undefined;
      case "lvmdevices":
        return this.lvmdevices(args, call);
      case "pvs":
      case "vgs":
        return this.lvmReport(command, args);
      case "lvs":
        return this.lvSizes(args) ?? this.lvmReport(command, args);
      case "pvresize": {
        this.mutate(call);
        return this.pvresize(args);
      }
      case "pvcreate":
      case "vgcreate":
      case "vgchange":
      case "lvcreate":
      case "lvextend":
      case "lvchange": {
        this.mutate(call);
        const target = args[args.length - 1] ?? "";
        return (command === "pvcreate" ? undefined : this.sharedVgUnreachable(command === "vgcreate" ? "" : (target.split("/")[0] ?? ""))) ?? this.lvmChange(command, args);
      }
      case "blockdev": {
        if (args[0] !== "--getsize64" || args.length !== 2) return undefined;
        const dev = this.state.devices.get(args[1] as string);
        if (!dev?.present) return fail(1, `blockdev: cannot open ${args[1]}: No such file or directory`);
        // A disk made without a size has the test bed's 4 GiB: the kernel always knows a size.
        return ok(`${dev.bytes ?? 4 * 1024 ** 3}\n`);
      }
      case "findmnt": {
        // `-n -o FSTYPE --mountpoint M` (grow) or `-n -t gfs2 -o TARGET --mountpoint M` (teardown).
        const mountpoint = args.at(-1) ?? "";
        if (args.join(" ") === `-n -o FSTYPE --mountpoint ${mountpoint}`) return this.state.mounts.has(mountpoint) ? ok("gfs2\n") : exitWith(1);
        if (args.join(" ") === `-n -t gfs2 -o TARGET --mountpoint ${mountpoint}`) return this.state.mounts.has(mountpoint) ? ok(`${mountpoint}\n`) : exitWith(1);
        return undefined;
      }
      case "mkfs.gfs2":
        this.mutate(call);
        return this.mkfsGfs2(args);
      case "tunegfs2":
        return this.tunegfs2(args);
      case "gfs2_edit":
        return this.gfs2Edit(args);
      case "gfs2_grow":
        this.mutate(call);
        return this.gfs2Grow(args);
      case "gfs2_jadd":
        this.mutate(call);
        return this.gfs2Jadd(args);
      case "sbd":
        return this.sbd(args, call);
      case "crm_mon":
        return args.join(" ") === "-1 --output-as=xml" ? this.crmMon() : undefined;
      case "lvmlockctl": {
        if (args.join(" ") !== "--info") return undefined;
        const started = [...this.state.vgs].filter(([, vg]) => vg.lockStarted);
        if (started.length === 0) return ok();
        return ok(started.map(([name]) => `VG ${name} lock_type=dlm ${uuidOf(name)}\n`).join(""));
      }
      case "find": {
        const [dir, a, b, ...rest] = args;
        if (dir === undefined || a !== "-mindepth" || b !== "1") return undefined;
        const inside = [...this.t.files.keys()].filter((p) => p.startsWith(`${dir}/`)).sort();
        if (rest.join(" ") === "-print -quit") return ok(inside[0] === undefined ? "" : `${inside[0]}\n`);
        if (rest.join(" ") !== "-delete") return undefined;
        this.mutate(call);
        for (const p of inside) this.t.files.delete(p);
        return ok();
      }
      case "lvremove":
      case "vgremove":
      case "pvremove":
        this.mutate(call);
        return this.lvmRemove(command, args);
      case "cibadmin":
        return this.cibadmin(args);
      case "sh":
        return this.sh(args, call);
      case "mkdir": {
        const [flag, dir, ...rest] = args;
        if (flag !== "-p" || dir === undefined || rest.length > 0 || !dir.startsWith("/")) return undefined;
        // `mkdir -p` of a directory that is already there changes nothing, as on a real node.
        if (this.dirExists(dir)) return ok();
        this.mutate(call);
        this.state.dirs.add(dir.replace(/\/+$/, "") || "/");
        return ok();
      }
      case "touch": {
        const [path, ...rest] = args;
        if (path === undefined || rest.length > 0 || !path.startsWith("/")) return undefined;
        this.mutate(call);
        if (!this.dirExists(dirname(path))) return fail(1, `touch: cannot touch '${path}': No such file or directory`);
        if (!this.t.files.has(path)) this.t.setFile(path, "");
        return ok();
      }
      case "rm":
        if (args[0] !== "-f" || args.length !== 2) return undefined;
        this.mutate(call);
        this.t.files.delete(args[1] as string);
        return ok();
      case "mv": {
        if (args[0] !== "-f" || args.length !== 3) return undefined;
        this.mutate(call);
        const [, from, to] = args as [string, string, string];
        const f = this.t.files.get(from);
        if (!f) return fail(1, `mv: cannot stat '${from}': No such file or directory`);
        this.t.files.delete(from);
        this.t.files.set(to, f);
        return ok();
      }
      default:
        return undefined;
    }
  }

  private dpkgQuery(args: readonly string[]): ExecResult | undefined {
    if (args[0] !== "-W" || !args[1]?.startsWith("-f=${Package}")) return undefined;
    const names = args.slice(2);
    const have = names.filter((n) => this.state.packages.has(n));
    const missing = names.filter((n) => !this.state.packages.has(n));
    return {
      code: missing.length ? 1 : 0,
      stdout: have.map((n) => `${n}\tii \n`).join(""),
      stderr: missing.map((n) => `dpkg-query: no packages found matching ${n}\n`).join(""),
    };
  }

  private aptGet(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    if (args[0] === "update") {
      this.mutate(call);
      return ok("Reading package lists...\n");
    }
    if (args[0] !== "install") return undefined;
    this.mutate(call);
    if (call.options.env?.DEBIAN_FRONTEND !== "noninteractive") return fail(1, "debconf: unable to initialize frontend: Dialog");
    this.install(...args.slice(1).filter((a) => !a.startsWith("-")));
    return ok();
  }

  private systemctl(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    const [verb, ...rest] = args;
    const units = rest.map(unitName);
    if (verb === "is-enabled" || verb === "is-active") {
      if (units.length !== 1) return undefined;
      const u = this.state.units.get(units[0] as string);
      if (verb === "is-active") return u?.active ? ok("active\n") : exitWith(3, "", "inactive\n");
      if (!u) return fail(1, `Failed to get unit file state for ${units[0]}: No such file or directory`);
      return u.enabled ? ok("enabled\n") : exitWith(1, "", "disabled\n");
    }
    if (verb === "daemon-reload" && units.length === 0) {
      this.mutate(call);
      return ok();
    }
    if (!["enable", "disable", "start", "stop", "restart"].includes(verb ?? "")) return undefined;
    this.mutate(call);
    for (const name of units) {
      const u = this.state.units.get(name);
      if (!u) return fail(verb === "enable" || verb === "disable" ? 1 : 5, `Failed to ${verb} unit: Unit ${name} not found.`);
      // sbd.service: RefuseManualStart/RefuseManualStop, PartOf=corosync.service.
      if (name === "sbd.service" && verb !== "enable" && verb !== "disable") return fail(4, `Failed to ${verb} sbd.service: Operation refused, unit sbd.service may be requested by dependency only (it is configured to refuse manual start/stop).`);
      if (verb === "enable") u.enabled = true;
      else if (verb === "disable") u.enabled = false;
      else if (verb === "stop") this.stopUnit(name);
      else {
        if (verb === "restart") this.stopUnit(name);
        const why = this.startUnit(name);
        if (why) return fail(1, `Job for ${name} failed because the control process exited with error code.\n${why}`);
      }
    }
    return ok();
  }

  /** Starts a unit with its systemd dependencies; returns why it cannot start. */
  private startUnit(name: string): string | undefined {
    const u = this.state.units.get(name);
    if (!u) return `Unit ${name} not found.`;
    if (name === "corosync.service") {
      const conf = this.t.fileText(COROSYNC_CONF);
      if (conf === undefined) return "corosync: Can't read file /etc/corosync/corosync.conf";
      if (!this.t.files.has(AUTHKEY)) return `corosync: Could not open ${AUTHKEY}`;
      this.state.corosync = { ...parseCorosync(conf), ...this.authkeyRead() };
    }
    // pacemaker.service Requires=corosync.service.
    if (name === "pacemaker.service") {
      const why = this.unitActive("corosync") ? undefined : this.startUnit("corosync.service");
      if (why) return why;
    }
    u.active = true;
    return undefined;
  }

  private stopUnit(name: string): void {
    const u = this.state.units.get(name);
    if (!u) return;
    u.active = false;
    if (name === "corosync.service") {
      delete this.state.corosync;
      this.stopUnit("pacemaker.service");
      this.stopUnit("sbd.service");
    }
  }

  private cmapctl(args: readonly string[]): ExecResult | undefined {
    const running = this.state.corosync;
    if (!this.unitActive("corosync") || !running) return fail(1, "Failed to initialize the cmap API. Error CS_ERR_LIBRARY");
    if (args[0] === "-g" && args[1] === "totem.cluster_name") return ok(`totem.cluster_name (str) = ${running.name}\n`);
    if (args[0] === "-b" && args[1] === "nodelist.node") {
      return ok(running.addresses.map((a, i) => `nodelist.node.${i}.nodeid (u32) = ${i + 1}\nnodelist.node.${i}.ring0_addr (str) = ${a}\n`).join(""));
    }
    return undefined;
  }

  private stat(args: readonly string[]): ExecResult | undefined {
    if (args[0] !== "-c" || args[1] !== "%a %U %G" || args.length !== 3) return undefined;
    const f = this.t.files.get(args[2] as string);
    if (!f) return fail(1, `stat: cannot statx '${args[2]}': No such file or directory`);
    return ok(`${f.mode.toString(8)} ${f.owner} ${f.group}\n`);
  }

  private python(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    // The password check: `python3 -c <VERIFY_PASSWORD> USER`, password on stdin. The shadow
    // model holds the password itself; test/tools/password-check.test.ts runs the script on real hashes.
    if (args[0] === "-c" && args[1] === VERIFY_PASSWORD && args.length === 3) {
      const hash = this.state.shadow.get(args[2] as string);
      const given = call.options.stdin?.toString();
      return hash !== undefined && given === hash ? ok() : exitWith(1);
    }
    // The names pcs holds tokens for: `python3 -c <AUTHENTICATED_NAMES> FILE KEY`;
    // test/tools/scripts.test.ts runs the script itself on real pcs files.
    if (args[0] === "-c" && args[1] === AUTHENTICATED_NAMES && args.length === 4) {
      const body = this.t.fileText(args[2] as string);
      if (body === undefined) return exitWith(1);
      const names = Object.keys((JSON.parse(body) as Record<string, Record<string, unknown> | undefined>)[args[3] as string] ?? {}).sort();
      return ok(names.map((n) => `${n}\n`).join(""));
    }
    const script = args[0] ?? "";
    if (!script.startsWith("/")) return undefined;
    if (!this.t.files.has(script)) return fail(2, `/usr/bin/python3: can't open file '${script}': [Errno 2] No such file or directory`);
    if (script.endsWith("-pcs_batch.py")) return this.pcsBatch(args.slice(1), call);
    if (script.endsWith("-cib_sync.py")) return this.cibSync(args.slice(1), call);
    return undefined;
  }

  private chpasswd(call: FakeExecCall): ExecResult {
    this.mutate(call);
    for (const line of (call.options.stdin?.toString() ?? "").split("\n").filter(Boolean)) {
      const at = line.indexOf(":");
      const user = line.slice(0, at);
      if (at < 1 || !this.state.shadow.has(user)) return fail(1, `chpasswd: line 1: user '${user}' does not exist`);
      this.state.shadow.set(user, line.slice(at + 1));
    }
    return ok();
  }

  private pcs(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    const [area, verb, id, ...more] = args;
    if ((area === "resource" || area === "stonith") && (verb === "disable" || verb === "delete") && id !== undefined && more.length === 0) return this.pcsRemove(area, verb, id, call);
    const auth = this.state.pcsVersion === "0.9" ? args[0] === "cluster" && args[1] === "auth" : args[0] === "host" && args[1] === "auth";
    if (!auth) return undefined;
    this.mutate(call);
    const u = args.indexOf("-u");
    if (u < 0 || args[u + 1] !== "hacluster") return fail(1, "Error: Unable to authenticate: no user");
    if (!this.unitActive("pcsd")) return fail(1, "Error: Unable to communicate with pcsd");
    const password = call.options.stdin?.toString().replace(/\n$/, "");
    if (password === undefined || password !== this.state.shadow.get("hacluster")) return fail(1, "Error: Unable to authenticate, try running 'pcs host auth' again");
    const names = args.slice(2, u).filter((a) => !a.startsWith("addr="));
    if (this.state.pcsVersion === "0.9") {
      const tokens = Object.fromEntries(names.map((n) => [n, uuidOf(`token-${n}`)]));
      this.t.setFile(PCS_TOKENS, JSON.stringify({ format_version: 2, data_version: 1, tokens }, null, 2), { mode: 0o600 });
    } else {
      const addr = (n: string) => args[args.indexOf(n) + 1]?.replace(/^addr=/, "") ?? n;
      const known = Object.fromEntries(names.map((n) => [n, { dest_list: [{ addr: addr(n), port: 2224 }], token: uuidOf(`token-${n}`) }]));
      this.t.setFile(KNOWN_HOSTS, JSON.stringify({ format_version: 1, data_version: 1, known_hosts: known }, null, 4), { mode: 0o600 });
    }
    return ok(names.map((n) => `${n}: Authorized\n`).join(""));
  }

  /** pcs resource|stonith disable|delete ID, on the cluster's shared CIB. */
  private pcsRemove(area: "resource" | "stonith", verb: "disable" | "delete", id: string, call: FakeExecCall): ExecResult {
    this.mutate(call);
    if (!this.unitActive("pacemaker")) return fail(1, "Error: unable to get cib");
    const el = this.state.cib.elements.get(id);
    const fenceDevice = el !== undefined && Object.values(el.agents).some((a) => a.startsWith("stonith:"));
    if (!el || el.section !== "resources") return fail(1, `Error: bundle/clone/group/resource '${id}' does not exist`);
    if (fenceDevice !== (area === "stonith")) return fail(1, `Error: '${id}' is ${fenceDevice ? "a stonith resource: use 'pcs stonith'" : "not a stonith resource"}`);
    // Disabled or deleted, Pacemaker stops it everywhere (pcs delete stops it first).
    this.state.roles.delete(id);
    for (const sim of this.cluster) sim.stopLocally(el);
    if (verb === "delete") {
      this.state.cib.elements.delete(id);
      const names = new Set([id, ...el.members, ...(el.group ? [el.group] : [])]);
      for (const [cid, c] of this.state.cib.elements) if (c.section === "constraints" && c.definition.some((argv) => argv.some((a) => names.has(a)))) this.state.cib.elements.delete(cid);
    }
    return ok();
  }

  private drbdadm(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    if (args.length === 4 && args[0] === "--" && args[1] === "--force" && args[2] === "wipe-md") return this.drbdWipeMd(args[3] as string, call);
    const verb = args[0];
    const resName = args[args.length - 1] as string;
    const r = this.state.drbd.get(resName);
    const readOnly = verb === "cstate" || verb === "dstate" || verb === "dump-md";
    if (!readOnly) this.mutate(call);
    if (!r) return fail(10, `'${resName}' not defined in your config (for this host).`);
    const unconfigured = () => (this.state.drbdVersion === "8.4" ? ok("Unconfigured\n") : fail(10, `${resName}: No such resource`));
    switch (verb) {
      case "cstate":
        if (!r.up) return unconfigured();
        return ok(`${!r.peer.up ? "WFConnection" : r.syncing ? "SyncSource" : "Connected"}\n`);
      case "dstate":
        if (!r.up) return unconfigured();
        return ok(`${r.local}/${r.peer.up ? r.peer.disk : "DUnknown"}\n`);
      case "dump-md":
        if (r.up) return fail(20, `Device '${r.device.replace("/dev/drbd", "")}' is configured!\nCommand 'drbdmeta ${r.device.replace("/dev/drbd", "")} v08 ${r.disk} internal dump-md' terminated with exit code 20`);
        if (!r.metadata) return fail(255, `No valid meta data found`);
        return ok(`# DRBD meta data dump\nversion "v08";\nuuid {\n    0x0000000000000004; 0x0000000000000000; 0x0000000000000000; 0x0000000000000000;\n    flags 0x00000000;\n}\nla-size-sect 8388280;\n`);
      case "create-md": {
        if (args.length !== 3 || args[1] !== "--force") return undefined;
        if (r.up) return fail(20, `Device '${r.device}' is configured!`);
        const disk = this.state.devices.get(r.disk);
        if (!disk?.present) return fail(20, `open(${r.disk}) failed: No such file or directory`);
        // As drbdmeta does, --force or not: it will not put metadata over a filesystem it finds.
        if (disk.signature !== undefined && disk.signature.type !== "drbd") return fail(40, `Found ${disk.signature.type} filesystem\nOperation refused.\nCommand 'drbdmeta 0 v08 ${r.disk} internal create-md --force' terminated with exit code 40`);
        r.metadata = true;
        r.local = "Inconsistent";
        disk.signature = { type: "drbd" };
        return ok("initializing activity log\ninitializing bitmap (128 KB) to all zero\nWriting meta data...\nNew drbd meta data block successfully created.\n");
      }
      case "up":
        if (args.length !== 2) return undefined;
        if (r.up) return fail(10, `${r.device}: Failure: (161) Minor or volume exists already (delete it first)`);
        if (!r.metadata) return fail(10, `${r.device}: Failure: (119) No valid meta-data signature found.\n\n\t==> Use 'drbdadm create-md res' to initialize meta-data area. <==`);
        r.up = true;
        this.syncDrbdDevice(r);
        return ok();
      case "adjust":
        return args.length === 2 ? ok() : undefined;
      case "resize": {
        if (args.length !== 2) return undefined;
        if (!r.up) return fail(10, `${r.device}: Failure: (127) Device minor not allocated`);
        if (!r.peer.up) return fail(10, `${r.device}: Failure: (131) Need a connection to resize`);
        const mine = this.state.devices.get(r.disk)?.bytes;
        const dev = this.state.devices.get(r.device);
        if (mine === undefined || !dev) return undefined;
        // Both nodes must have the room: DRBD takes the smaller backing disk, and never shrinks here.
        dev.bytes = Math.max(dev.bytes ?? 0, drbdDeviceBytes(Math.min(mine, r.peer.backingBytes ?? mine)));
        return ok();
      }
      case "down":
        if (args.length !== 2) return undefined;
        r.up = false;
        r.role = "Secondary";
        this.syncDrbdDevice(r);
        return ok();
      case "primary":
        if (args.length !== 3 || args[1] !== "--force") return undefined;
        if (!r.up) return fail(10, `${r.device}: Failure: (127) Device minor not allocated`);
        r.role = "Primary";
        r.local = "UpToDate";
        r.syncing = r.peer.up && r.peer.disk !== "UpToDate";
        return ok();
      case "secondary":
        if (args.length !== 2) return undefined;
        if (!r.up) return fail(10, `${r.device}: Failure: (127) Device minor not allocated`);
        r.role = "Secondary";
        return ok();
      case "new-current-uuid":
        if (args.length !== 3 || args[1] !== "--clear-bitmap") return undefined;
        if (!r.up || !r.peer.up) return fail(10, `${r.device}: State change failed: (-15) Need a connection to start verify or resync`);
        r.local = "UpToDate";
        r.peer.disk = "UpToDate";
        return ok();
      default:
        return undefined;
    }
  }

  /** `drbdadm -- --force wipe-md R`: the prompt answered by --force; exit 0 with nothing to wipe, as drbdmeta does. */
  private drbdWipeMd(resName: string, call: FakeExecCall): ExecResult {
    this.mutate(call);
    const r = this.state.drbd.get(resName);
    if (!r || !this.t.files.has(`/etc/drbd.d/${resName}.res`)) return fail(10, `'${resName}' not defined in your config (for this host).`);
    if (r.up) return fail(20, `Device '${r.device.replace("/dev/drbd", "")}' is configured!`);
    const disk = this.state.devices.get(r.disk);
    if (!r.metadata) return ok("There appears to be no drbd meta data to wipe out?\n");
    r.metadata = false;
    if (disk?.signature?.type === "drbd") disk.signature = undefined;
    return ok("Do you really want to wipe out the DRBD meta data?\n*** confirmation forced via --force option ***\nWiping meta data...\nDRBD meta data block successfully wiped out.\n");
  }

  /** `rpm -q --qf '%{NAME}\n' NAME…`: installed names, a line for each missing one, exit 1 if any is. */
  private rpm(args: readonly string[]): ExecResult | undefined {
    if (args[0] !== "-q" || args[1] !== "--qf" || args[2] !== "%{NAME}\\n") return undefined;
    const names = args.slice(3);
    const lines = names.map((n) => (this.state.packages.has(n) ? n : `package ${n} is not installed`));
    return { code: names.every((n) => this.state.packages.has(n)) ? 0 : 1, stdout: lines.map((l) => `${l}\n`).join(""), stderr: "" };
  }

  /** dnf's repolist table, installs of release packages by URL, and config-manager --set-enabled. */
  private dnf(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    const [verb, ...rest] = args;
    if (verb === "repolist" && rest.length === 1 && (rest[0] === "--enabled" || rest[0] === "--all")) {
      const rows = [...this.state.repos].filter(([, enabled]) => enabled || rest[0] === "--all");
      return ok(["repo id          repo name", ...rows.map(([id, enabled]) => `${id.padEnd(16)} ${id}${rest[0] === "--all" ? (enabled ? "  enabled" : "  disabled") : ""}`)].join("\n") + "\n");
    }
    if (verb === "install" && rest[0] === "-y" && rest.length > 1) {
      this.mutate(call);
      for (const url of rest.slice(1)) {
        const name = /\/(elrepo-release)-[^/]+\.rpm$/.exec(url)?.[1];
        if (!name) return fail(1, `Error: Unable to find a match: ${url}`);
        this.state.packages.add(name);
        this.state.repos.set("elrepo", true);
      }
      return ok();
    }
    if (verb === "config-manager" && rest[0] === "--set-enabled" && rest.length > 1) {
      this.mutate(call);
      const ids = rest.slice(1);
      const unknown = ids.filter((id) => !this.state.repos.has(id));
      if (unknown.length) return fail(1, `Error: No matching repo to modify: ${unknown.join(", ")}.`);
      for (const id of ids) this.state.repos.set(id, true);
      return ok();
    }
    return undefined;
  }

  /** The devices file as `lvmdevices` lists it, and `--adddev`, which creates the file when there is none. */
  private lvmdevices(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    const file = "/etc/lvm/devices/system.devices";
    const entries = (this.t.fileText(file) ?? "").split("\n").filter((l) => l.startsWith("IDTYPE="));
    if (args.length === 0) {
      if (!this.state.useDevicesFile) return fail(5, "  Devices file not enabled.");
      return ok(entries.map((e) => `  Device ${/DEVNAME=(\S+)/.exec(e)?.[1] ?? "none"} ${e}\n`).join(""));
    }
    if (args.length === 2 && args[0] === "--adddev") {
      this.mutate(call);
      const device = args[1] as string;
      if (!this.state.devices.get(device)?.present) return fail(5, `  Device ${device} not found.`);
      const line = `IDTYPE=devname IDNAME=${device} DEVNAME=${device} PVID=none`;
      this.t.setFile(file, ["# LVM uses devices listed in this file.", "VERSION=1.1.1", ...entries, line].join("\n") + "\n");
      return ok();
    }
    return undefined;
  }

  private test(args: readonly string[]): ExecResult | undefined {
    if (args.length !== 2) return undefined;
    const [flag, path] = args as [string, string];
    if (flag === "-b") return this.state.devices.get(path)?.present ? ok() : exitWith(1);
    if (flag === "-s") return (this.t.files.get(path)?.body.length ?? 0) > 0 ? ok() : exitWith(1);
    if (flag === "-e") return this.t.files.has(path) || this.knownDir(path) ? ok() : exitWith(1);
    return undefined;
  }

  private blkid(args: readonly string[]): ExecResult | undefined {
    if (args.join(" ") !== `-p -o export ${args[3] ?? ""}` || args.length !== 4) return undefined;
    const path = args[3] as string;
    const dev = this.state.devices.get(path);
    if (!dev?.present) return fail(2, `error: ${path}: No such file or directory`);
    const sig = dev.signature;
    // Exit 2: nothing found, the way `blkid -p` reports a blank device.
    if (!sig) return exitWith(2);
    const lines = [`DEVNAME=${path}`];
    if (sig.ptType) lines.push(`PTUUID=${uuidOf(path).slice(0, 8)}`, `PTTYPE=${sig.ptType}`);
    if (sig.type === "gfs2") lines.push(`LABEL=${sig.lockTable ?? ""}`);
    if (sig.type) lines.push(`UUID=${uuidOf(path)}`, ...(sig.type === "LVM2_member" ? ["VERSION=LVM2 001"] : ["BLOCK_SIZE=4096"]), `TYPE=${sig.type}`, `USAGE=${sig.type === "LVM2_member" || sig.type === "drbd" ? "raid" : "filesystem"}`);
    return ok(`${lines.join("\n")}\n`);
  }

  /** `pvs --noheadings --units b --nosuffix -o pv_size,dev_size,pe_start,vg_extent_size DEV`. */
  private pvSizes(args: readonly string[]): ExecResult | undefined {
    const target = args[6] ?? "";
    if (args.join(" ") !== `--noheadings --units b --nosuffix -o pv_size,dev_size,pe_start,vg_extent_size ${target}` || args.length !== 7) return undefined;
    const pv = this.state.pvs.get(target);
    const dev = this.state.devices.get(target)?.bytes;
    if (!pv) return fail(5, `  Failed to find physical volume "${target}".`);
    if (dev === undefined) return undefined;
    return ok(`  ${this.pvBytes(target)} ${dev} ${PE_START} ${this.extentOf(pv.vg ?? "")}\n`);
  }

  /** A PV's size: set by pvresize, else its (one-PV) VG's, else whole extents of its device after PE_START. */
  private pvBytes(device: string): number {
    const pv = this.state.pvs.get(device);
    if (pv?.bytes !== undefined) return pv.bytes;
    if (pv?.vg !== undefined) return this.state.vgs.get(pv.vg)?.sizeBytes ?? DEFAULT_VG_BYTES;
    const extent = this.extentOf("");
    return Math.floor(((this.state.devices.get(device)?.bytes ?? 0) - PE_START) / extent) * extent;
  }

  private lvmReport(command: string, args: readonly string[]): ExecResult | undefined {
    if (command === "pvs" && args[1] === "--units") return this.pvSizes(args);
    if (command === "lvs" && args.slice(0, 4).join(" ") === "--noheadings --binary -o lv_name,lv_active_locally" && args.length === 5) return this.lvsActive(args[4] as string);
    if (args[0] !== "--noheadings" || args[1] !== "-o" || args.length !== 4) return undefined;
    const [, , fields, target] = args as [string, string, string, string];
    if (command === "pvs") {
      const pv = this.state.pvs.get(target);
      if (!pv) return fail(5, `  Failed to find physical volume "${target}".`);
      // Columns padded to their headers' widths (PV, VG): a PV in no VG leaves the second blank.
      if (fields === "pv_name,vg_name") return ok(`  ${target} ${(pv.vg ?? "").padEnd(2)}\n`);
      return undefined;
    }
    if (command === "vgs") {
      const unreachable = this.sharedVgUnreachable(target);
      if (unreachable) return unreachable;
      const vg = this.state.vgs.get(target);
      if (!vg) return fail(5, `  Volume group "${target}" not found\n  Cannot process volume group ${target}`);
      if (fields !== "vg_name,vg_lock_type") return undefined;
      // The lock type column is padded to its header's width (LockType), so an empty one is only blanks.
      return ok(`  ${target} ${vg.lockType.padEnd(8)}\n`);
    }
    const unreachable = this.sharedVgUnreachable(target.split("/")[0] ?? "");
    if (unreachable) return unreachable;
    const lv = this.state.lvs.get(target);
    if (!lv) return fail(5, `  Failed to find logical volume "${target}"`);
    return fields === "lv_name" ? ok(`  ${target.split("/")[1] ?? ""}\n`) : undefined;
  }

  /** `lvs --noheadings --binary -o lv_name,lv_active_locally VG`: every LV of the VG, 1 when active here. */
  private lvsActive(vgName: string): ExecResult {
    const unreachable = this.sharedVgUnreachable(vgName);
    if (unreachable) return unreachable;
    if (!this.state.vgs.has(vgName)) return fail(5, `  Volume group "${vgName}" not found\n  Cannot process volume group ${vgName}`);
    const lvs = [...this.state.lvs].filter(([key]) => key.startsWith(`${vgName}/`));
    return ok(lvs.map(([key, lv]) => `  ${(key.split("/")[1] ?? "").padEnd(8)} ${lv.active ? 1 : 0}\n`).join(""));
  }

  /**
   * LVM's answer for a shared (dlm) VG when this node's lvmlocal.conf says `use_lvmlockd = 0`:
   * it refuses to touch the VG, by name or not. Only that explicit setting is modelled; a node
   * without the file is taken to have lvmlockd on, as every test before gfsdeploy writes it wants.
   */
  private sharedVgUnreachable(vgName: string): ExecResult | undefined {
    if (this.state.vgs.get(vgName)?.lockType !== "dlm") return undefined;
    if (!/^\s*use_lvmlockd\s*=\s*0\s*$/m.test(this.t.fileText("/etc/lvm/lvmlocal.conf") ?? "")) return undefined;
    return fail(5, `  Cannot access VG ${vgName} with lock type dlm that requires lvmlockd.`);
  }

  /** `lvs --noheadings --units b --nosuffix -o lv_size,vg_extent_size VG/LV`: right-aligned byte counts. */
  private lvSizes(args: readonly string[]): ExecResult | undefined {
    const target = args[6] ?? "";
    if (args.join(" ") !== `--noheadings --units b --nosuffix -o lv_size,vg_extent_size ${target}` || args.length !== 7) return undefined;
    const unreachable = this.sharedVgUnreachable(target.split("/")[0] ?? "");
    if (unreachable) return unreachable;
    const lv = this.state.lvs.get(target);
    if (!lv) return fail(5, `  Failed to find logical volume "${target}"`);
    return ok(`  ${lv.bytes} ${this.extentOf(target.split("/")[0] ?? "")}\n`);
  }

  private extentOf(vg: string): number {
    return this.state.vgs.get(vg)?.extentBytes ?? DEFAULT_EXTENT_BYTES;
  }

  /** What lvcreate makes of `size` in `vgName` (bytes, whole extents), or why it refuses. */
  private newLvBytes(vgName: string, size: string): number | string {
    const vg = this.state.vgs.get(vgName);
    if (!vg) return `  Volume group "${vgName}" not found`;
    const extent = this.extentOf(vgName);
    const free = this.freeBytes(vgName);
    const relative = /^([0-9]+)%(FREE|VG)$/.exec(size);
    const bytes = relative ? Math.floor(((relative[2] === "FREE" ? free : (vg.sizeBytes ?? DEFAULT_VG_BYTES)) * Number(relative[1])) / 100 / extent) * extent : Math.ceil(absoluteBytes(size) / extent) * extent;
    if (!(bytes > 0)) return `  Invalid argument for --size: ${size}`;
    if (bytes > free) return `  Volume group "${vgName}" has insufficient free space (${free / extent} extents): ${bytes / extent} required.`;
    return bytes;
  }

  /** The VG's size less its LVs'. */
  private freeBytes(vgName: string): number {
    const used = [...this.state.lvs].filter(([key]) => key.startsWith(`${vgName}/`)).reduce((n, [, lv]) => n + lv.bytes, 0);
    return (this.state.vgs.get(vgName)?.sizeBytes ?? DEFAULT_VG_BYTES) - used;
  }

  /** `pvresize DEV`: the PV (and so its VG) takes in whole extents of the device's growth. */
  private pvresize(args: readonly string[]): ExecResult | undefined {
    if (args.length !== 1) return undefined;
    const device = args[0] as string;
    const pv = this.state.pvs.get(device);
    const dev = this.state.devices.get(device);
    if (!pv || !dev?.present || dev.bytes === undefined) return fail(5, `  Failed to find physical volume "${device}".`);
    const unreachable = this.sharedVgUnreachable(pv.vg ?? "");
    if (unreachable) return unreachable;
    const extent = this.extentOf(pv.vg ?? "");
    const before = this.pvBytes(device);
    const after = Math.floor((dev.bytes - PE_START) / extent) * extent;
    pv.bytes = Math.max(before, after);
    const vg = pv.vg === undefined ? undefined : this.state.vgs.get(pv.vg);
    if (vg) vg.sizeBytes = (vg.sizeBytes ?? DEFAULT_VG_BYTES) + pv.bytes - before;
    return ok(`  Physical volume "${device}" changed\n  1 physical volume(s) resized or updated / 0 physical volume(s) not resized\n`);
  }

  /** lvremove -y VG/LV, vgremove -y VG, pvremove -y PV, with lvmlockd's rules for a shared VG. */
  private lvmRemove(command: string, args: readonly string[]): ExecResult | undefined {
    const s = this.state;
    const [yes, target, ...rest] = args;
    if (yes !== "-y" || target === undefined || rest.length > 0) return undefined;
    const vgName = target.split("/")[0] as string;
    const vg = s.vgs.get(vgName);
    const lockless = vg?.lockType === "dlm" && !vg.lockStarted;
    if (command === "lvremove") {
      const lv = s.lvs.get(target);
      if (!lv) return fail(5, `  Failed to find logical volume "${target}"`);
      if (lockless) return fail(5, `  VG ${vgName} lock failed: lockspace is not started`);
      if (lv.active) return fail(5, `  Logical volume ${target} in use.`);
      for (const sim of this.cluster) {
        sim.state.lvs.delete(target);
        sim.state.devices.delete(`/dev/${target}`);
      }
      return ok(`  Logical volume "${target.split("/")[1] ?? ""}" successfully removed.\n`);
    }
    if (command === "vgremove") {
      if (!vg) return fail(5, `  Volume group "${target}" not found`);
      if (lockless) return fail(5, `  VG ${target} lock failed: lockspace is not started`);
      // lvmlockd(8): removing a shared VG fails while other hosts have it started.
      if (vg.lockType === "dlm" && this.cluster.some((sim) => sim !== this && sim.state.vgs.get(target)?.lockStarted)) return fail(5, `  VG ${target} lock failed: held by other host.`);
      if ([...s.lvs.keys()].some((k) => k.startsWith(`${target}/`))) return fail(5, `  Logical volumes in VG ${target} must be removed first (this model leaves -y no LVs to take along).`);
      for (const sim of this.cluster) {
        const gone = sim.state.vgs.get(target);
        sim.state.vgs.delete(target);
        for (const pv of gone?.pvs ?? []) sim.state.pvs.set(pv, {});
      }
      return ok(`  Volume group "${target}" successfully removed\n`);
    }
    const pv = s.pvs.get(target);
    if (!pv) return fail(5, `  No PV found on device ${target}.`);
    if (pv.vg !== undefined) return fail(5, `  PV ${target} is used by VG ${pv.vg} so please use vgreduce first.`);
    for (const sim of this.cluster) {
      sim.state.pvs.delete(target);
      const dev = sim.state.devices.get(target);
      if (dev?.signature?.type === "LVM2_member") dev.signature = undefined;
    }
    return ok(`  Labels on physical volume "${target}" successfully wiped.\n`);
  }

  private lvmChange(command: string, args: readonly string[]): ExecResult | undefined {
    const s = this.state;
    switch (command) {
      case "pvcreate": {
        // `pvcreate DEV`, or `pvcreate -ff -y DEV`: force, and answer yes to every prompt.
        const forced = args.length === 3 && args[0] === "-ff" && args[1] === "-y";
        if (args.length !== 1 && !forced) return undefined;
        const path = args[args.length - 1] as string;
        const dev = s.devices.get(path);
        if (!dev?.present) return fail(5, `  No device found for ${path}.`);
        const owner = s.pvs.get(path)?.vg;
        if (owner !== undefined && !forced) return fail(5, `  Can't initialize physical volume "${path}" of volume group "${owner}" without -ff`);
        const other = dev.signature?.type ?? (dev.signature?.ptType ? `${dev.signature.ptType} partition table` : undefined);
        // Without -y, pvcreate asks before wiping another signature and reads "no" from an empty stdin.
        if (other !== undefined && other !== "LVM2_member" && !forced) {
          return fail(5, `  WARNING: ${other} signature detected on ${path} at offset 1080. Wipe it? [y/n]: [n]\n  Aborted wiping of ${other}.\n  1 existing signature left on the device.\n  Aborting pvcreate on ${path}.`);
        }
        if (owner !== undefined) {
          const vg = s.vgs.get(owner);
          if (vg) vg.pvs = vg.pvs.filter((pv) => pv !== path);
        }
        s.pvs.set(path, {});
        dev.signature = { type: "LVM2_member" };
        return ok(`  Physical volume "${path}" successfully created.\n`);
      }
      case "vgcreate": {
        const rest = [...args];
        let lockType: VolumeGroup["lockType"] = "";
        if (rest[0] === "--shared") {
          lockType = "dlm";
          rest.shift();
        } else if (rest[0] === "--clustered" && rest[1] === "y") {
          lockType = "clvm";
          rest.splice(0, 2);
        }
        const [vg, ...pvs] = rest;
        if (vg === undefined || pvs.length === 0 || rest.some((a) => a.startsWith("-"))) return undefined;
        if (s.vgs.has(vg)) return fail(5, `  A volume group called ${vg} already exists.`);
        for (const pv of pvs) {
          const p = s.pvs.get(pv);
          if (!p) return fail(5, `  Device ${pv} not found (or ignored by filtering).`);
          if (p.vg) return fail(5, `  Physical volume '${pv}' is already in volume group '${p.vg}'`);
        }
        for (const pv of pvs) s.pvs.set(pv, { vg });
        s.vgs.set(vg, { lockType, pvs, lockStarted: lockType === "dlm" });
        return ok(`  Volume group "${vg}" successfully created\n`);
      }
      case "vgchange": {
        if ((args[0] !== "--lockstart" && args[0] !== "--lockstop") || args.length !== 2) return undefined;
        const vg = s.vgs.get(args[1] as string);
        if (!vg) return fail(5, `  Volume group "${args[1]}" not found`);
        const name = args[1] as string;
        if (args[0] === "--lockstop" && [...s.lvs].some(([k, lv]) => k.startsWith(`${name}/`) && lv.active)) return fail(5, `  VG ${name} stop failed: LVs must first be deactivated`);
        if (vg.lockType === "dlm") vg.lockStarted = args[0] === "--lockstart";
        return ok();
      }
      case "lvcreate": {
        const opt = (flag: string) => {
          const i = args.indexOf(flag);
          return i >= 0 ? args[i + 1] : undefined;
        };
        const name = opt("-n");
        const size = opt("-l") ?? opt("-L");
        const vgName = args[args.length - 1] as string;
        if (!name || !size) return undefined;
        const vg = s.vgs.get(vgName);
        if (!vg) return fail(5, `  Volume group "${vgName}" not found`);
        if (vg.lockType === "dlm" && !vg.lockStarted) return fail(5, `  VG ${vgName} lock failed: lockspace is not started\n  Cannot access VG ${vgName} due to failed lock.`);
        const key = `${vgName}/${name}`;
        if (s.lvs.has(key)) return fail(5, `  Logical Volume "${name}" already exists in volume group "${vgName}"`);
        const bytes = this.newLvBytes(vgName, size);
        if (typeof bytes === "string") return fail(5, bytes);
        const active = opt("--activate") !== "n";
        s.lvs.set(key, { size, bytes, active });
        // lvcreate wipes the start of a new LV, so it begins without a signature.
        s.devices.set(`/dev/${key}`, { present: active, bytes });
        return ok(`  Logical volume "${name}" created.\n`);
      }
      case "lvextend": {
        if (args[0] !== "-L" || args.length !== 3) return undefined;
        const key = args[2] as string;
        const lv = s.lvs.get(key);
        const vgName = key.split("/")[0] as string;
        const vg = s.vgs.get(vgName);
        if (!lv || !vg) return fail(5, `  Failed to find logical volume "${key}"`);
        if (vg.lockType === "dlm" && !vg.lockStarted) return fail(5, `  VG ${vgName} lock failed: lockspace is not started\n  Cannot access VG ${vgName} due to failed lock.`);
        // lvmlockd: an LV active (shared) here is extended under that lock only with GFS2 (or OCFS2) mounted here.
        if (vg.lockType === "dlm" && lv.active && s.mounts.size === 0) return fail(5, `  LV locked by other host: ${key}\n  Failed to lock logical volume ${key}.`);
        const extent = this.extentOf(vgName);
        const bytes = Math.ceil(absoluteBytes(args[1] as string) / extent) * extent;
        if (bytes <= lv.bytes) return fail(5, `  New size given (${bytes / extent} extents) not larger than existing size (${lv.bytes / extent} extents)`);
        const free = this.freeBytes(vgName);
        if (bytes - lv.bytes > free) return fail(5, `  Insufficient free space: ${(bytes - lv.bytes) / extent} extents needed, but only ${free / extent} available`);
        lv.bytes = bytes;
        // The local device follows at once; other nodes keep the old size until refreshed.
        const dev = s.devices.get(`/dev/${key}`);
        if (dev && lv.active) dev.bytes = bytes;
        return ok(`  Size of logical volume ${key} changed to ${bytes} B.\n  Logical volume ${key} successfully resized.\n`);
      }
      case "lvchange": {
        const key = args[args.length - 1] as string;
        const lv = s.lvs.get(key);
        if (args[0] === "--refresh" && args.length === 2) {
          if (!lv) return fail(5, `  Failed to find logical volume "${key}"`);
          const dev = s.devices.get(`/dev/${key}`);
          if (dev && lv.active) dev.bytes = lv.bytes;
          return ok();
        }
        if (args[0] !== "--activate" || args.length !== 3) return undefined;
        if (!lv) return fail(5, `  Failed to find logical volume "${key}"`);
        const vg = s.vgs.get(key.split("/")[0] as string);
        const activate = args[1] !== "n";
        if (activate && vg?.lockType === "dlm" && !vg.lockStarted) return fail(5, `  LV ${key} lock failed: lockspace is not started`);
        lv.active = activate;
        const dev = s.devices.get(`/dev/${key}`) ?? { present: false };
        dev.present = activate;
        // Activation loads the metadata's size into the kernel.
        if (activate) dev.bytes = lv.bytes;
        s.devices.set(`/dev/${key}`, dev);
        return ok();
      }
      default:
        return undefined;
    }
  }

  private mkfsGfs2(args: readonly string[]): ExecResult | undefined {
    const t = args.indexOf("-t");
    const table = t >= 0 ? args[t + 1] : undefined;
    const path = args[args.length - 1] as string;
    if (!table || path.startsWith("-")) return undefined;
    const dev = this.state.devices.get(path);
    if (!dev?.present) return fail(1, `mkfs.gfs2: Could not open ${path}: No such file or directory`);
    // Without -O, mkfs.gfs2 asks before overwriting and reads "no" from an empty stdin.
    if (dev.signature && !args.includes("-O")) return fail(1, `It appears to contain an existing filesystem (${dev.signature.type ?? "unknown"})\nAre you sure you want to proceed? [y/n] Aborted.`);
    const journals = Number(args[args.indexOf("-j") + 1] ?? 1);
    const journalMb = Number(args[args.indexOf("-J") + 1] ?? 128);
    // The filesystem ends one block short of the device, as mkfs.gfs2 lays it out.
    const fsBytes = dev.bytes === undefined ? {} : { fsBytes: (Math.floor(dev.bytes / GFS2_BLOCK) - 1) * GFS2_BLOCK };
    dev.signature = { type: "gfs2", lockTable: table, ...fsBytes, journalsMb: Array.from({ length: journals }, () => journalMb) };
    return ok(`${path} is a symbolic link to ...\nThis will destroy any data on ${path}\nDevice:                    ${path}\nLock protocol:             lock_dlm\nLock table:                ${table}\n`);
  }

  private tunegfs2(args: readonly string[]): ExecResult | undefined {
    if (args[0] !== "-l" || args.length !== 2) return undefined;
    const path = args[1] as string;
    const dev = this.state.devices.get(path);
    if (!dev?.present) return fail(1, `tunegfs2: Could not open ${path}: No such file or directory`);
    if (dev.signature?.type !== "gfs2") return fail(1, `tunegfs2: ${path}: Not a GFS2 file system`);
    const table = dev.signature.lockTable ?? "";
    return ok(`tunegfs2 (Mar  1 2023 12:00:00)\nFile system volume name: ${table}\nFile system UUID: ${uuidOf(path)}\nFile system magic number: 0x1161970\nBlock size: ${GFS2_BLOCK}\nBlock shift: 12\nRoot inode: 33081\nMaster inode: 32854\nLock protocol: lock_dlm\nLock table: ${table}\n`);
  }

  /** The GFS2 on `path`, readable from its device here. */
  private gfs2On(path: string): { sig: Signature; dev: BlockDevice } | ExecResult {
    const dev = this.state.devices.get(path);
    if (!dev?.present) return fail(1, `Failed to open '${path}': No such file or directory`);
    if (dev.signature?.type !== "gfs2") return fail(1, `Bad constants (1)`);
    return { sig: dev.signature, dev };
  }

  /** `gfs2_edit -p rindex|journals DEV`, laid out as gfs2-utils 3.5 prints them. */
  private gfs2Edit(args: readonly string[]): ExecResult | undefined {
    const [flag, what, path] = args;
    if (flag !== "-p" || path === undefined || args.length !== 3) return undefined;
    const fs = this.gfs2On(path);
    if ("code" in fs) return fs;
    const blocks = (fs.dev.bytes ?? 0) / GFS2_BLOCK;
    if (what === "journals") {
      const { journalsMb } = fs.sig;
      if (!journalsMb) return undefined;
      const list = journalsMb.map((mb, i) => `journal${i}: 0x${(19 + i * 16422).toString(16).padEnd(5)} ${mb}MB clean.`);
      return ok(`Block #Journal Status:       of ${blocks} (0x${blocks.toString(16)}) \n-------------------- Journal List --------------------\n${list.join("\n")}\n------------------------------------------------------\n`);
    }
    if (what !== "rindex" || fs.sig.fsBytes === undefined) return undefined;
    // Resource groups of 256 MiB (mkfs.gfs2's default) up to the end of the filesystem.
    const end = fs.sig.fsBytes / GFS2_BLOCK;
    const rgBlocks = (256 * MIB) / GFS2_BLOCK;
    const field = (name: string, n: number) => `  ${name.padEnd(22)}${String(n).padEnd(20)}0x${n.toString(16)}`;
    const rgs: string[] = [];
    for (let addr = 17; addr + 4 < end; addr += rgBlocks) {
      const data = Math.min(rgBlocks - 4, end - addr - 4);
      rgs.push(`RG #${rgs.length}`, field("ri_addr", addr), field("ri_length", 4), field("ri_data0", addr + 4), field("ri_data", data), field("ri_bitbytes", data / 4));
    }
    return ok(`Block #33384    (0x8268) of ${blocks} (0x${blocks.toString(16)}) (inode)\n---------------- rindex file -------------------\nDinode:\n  mh_magic              0x01161970(hex)\n  di_size               ${96 * (rgs.length / 6)}\nRG index entries found: ${rgs.length / 6}.\n${rgs.join("\n")}\n------------------------------------------------------\n`);
  }

  /** The GFS2 mounted at `mountpoint` (gfs2_grow and gfs2_jadd take the mountpoint). */
  private mountedGfs2(mountpoint: string): { sig: Signature; dev: BlockDevice } | undefined {
    const fs = this.gfs2On(this.state.mounts.get(mountpoint) ?? "");
    return "code" in fs ? undefined : fs;
  }

  private gfs2Grow(args: readonly string[]): ExecResult | undefined {
    const [mountpoint] = args;
    if (mountpoint === undefined || args.length !== 1) return undefined;
    const fs = this.mountedGfs2(mountpoint);
    // gfs2_grow skips a path that is not a mounted GFS2 and still exits 0.
    if (!fs) return exitWith(0, `${mountpoint}: not a mounted gfs2 file system\n`, "gfs2_grow complete.\n");
    const devBlocks = Math.floor((fs.dev.bytes ?? 0) / GFS2_BLOCK);
    const fsBlocks = (fs.sig.fsBytes ?? 0) / GFS2_BLOCK;
    // Whole resource groups of at least 32 MiB, or nothing.
    if ((devBlocks - fsBlocks) * GFS2_BLOCK < 32 * MIB) return exitWith(255, `The calculated resource group size is too small.\n${mountpoint} has not grown.\n`, "gfs2_grow complete.\n");
    fs.sig.fsBytes = (devBlocks - 1) * GFS2_BLOCK;
    return ok(`Mount point: ${mountpoint}\nDevice: ${this.state.mounts.get(mountpoint) ?? ""}\nSize: ${fsBlocks} blocks\nLength: ${devBlocks} blocks\nThe file system will grow by ${Math.floor(((devBlocks - fsBlocks) * GFS2_BLOCK) / MIB)}MB.\ngfs2_grow complete.\n`);
  }

  private gfs2Jadd(args: readonly string[]): ExecResult | undefined {
    const [j, count, J, size, mountpoint] = args;
    if (j !== "-j" || J !== "-J" || mountpoint === undefined || args.length !== 5) return undefined;
    const fs = this.mountedGfs2(mountpoint);
    if (!fs) return fail(255, `${mountpoint}: not a mounted gfs2 file system`);
    const journals = fs.sig.journalsMb ?? [];
    const before = journals.length;
    fs.sig.journalsMb = [...journals, ...Array.from({ length: Number(count) }, () => Number(size))];
    return ok(`Filesystem: ${mountpoint}\nOld journals: ${before}\nNew journals: ${fs.sig.journalsMb.length}\n`);
  }

  private sbd(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    const devices: string[] = [];
    let watchdog: number | undefined;
    let msgwait: number | undefined;
    let verb: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === "-d") devices.push(args[++i] ?? "");
      else if (a === "-1") watchdog = Number(args[++i]);
      else if (a === "-4") msgwait = Number(args[++i]);
      else if (verb === undefined) verb = a;
      else return undefined;
    }
    if (verb === "dump" && devices.length === 1) {
      const d = devices[0] as string;
      const h = this.state.sbd.get(d);
      if (!this.state.devices.get(d)?.present) return fail(1, `== disk ${d} unreadable!\nsbd failed; please check the logs.`);
      if (!h) return fail(1, `==Dumping header on disk ${d}\n==Header on disk ${d} NOT dumped\nsbd failed; please check the logs.`);
      return ok(
        `==Dumping header on disk ${d}\nHeader version     : 2.1\nUUID               : ${uuidOf(d)}\nNumber of slots    : 255\nSector size        : 512\nTimeout (watchdog) : ${h.watchdog}\nTimeout (allocate) : 2\nTimeout (loop)     : 1\nTimeout (msgwait)  : ${h.msgwait}\n==Header on disk ${d} is dumped\n`,
      );
    }
    if (verb === "create" && devices.length > 0 && watchdog !== undefined && msgwait !== undefined) {
      this.mutate(call);
      for (const d of devices) {
        if (!this.state.devices.get(d)?.present) return fail(1, `== disk ${d} unreadable!`);
      }
      for (const d of devices) this.state.sbd.set(d, { watchdog, msgwait });
      return ok(devices.map((d) => `Initializing device ${d}\nCreating version 2.1 header on device 3 (uuid: ${uuidOf(d)})\n`).join("") + "==Headers initialized.\n");
    }
    return undefined;
  }

  /** `crm_mon -1 --output-as=xml` as Pacemaker 2.1 prints it. */
  private crmMon(): ExecResult {
    if (!this.unitActive("pacemaker")) {
      return exitWith(102, "crm_mon: Error: cluster is not available on this node\n", `<pacemaker-result api-version="2.30" request="crm_mon -1 --output-as=xml">\n  <status code="102" message="Not connected">\n    <errors>\n      <error>crm_mon: Error: cluster is not available on this node</error>\n    </errors>\n  </status>\n</pacemaker-result>\n`);
    }
    const all = this.allNodes();
    const online = new Set(this.onlineNodes());
    const quorate = online.size * 2 > all.length;
    const idOf = (n: string) => all.indexOf(n) + 1;
    const dc = this.state.hostname;
    const attrs = (o: Record<string, string | number | boolean>) =>
      Object.entries(o)
        .map(([k, v]) => `${k}="${String(v)}"`)
        .join(" ");
    const out: string[] = [];
    out.push(`<pacemaker-result api-version="2.30" request="crm_mon -1 --output-as=xml">`);
    out.push(`  <summary>`);
    out.push(`    <stack type="corosync" pacemakerd-state="running"/>`);
    out.push(`    <current_dc ${attrs({ present: true, version: "2.1.5-a3f44794f94", name: dc, id: idOf(dc), with_quorum: quorate, mixed_version: false })}/>`);
    out.push(`    <last_update time="Mon Jan  8 10:00:00 2024"/>`);
    out.push(`    <last_change time="Mon Jan  8 09:59:00 2024" user="root" client="cibadmin" origin="${dc}"/>`);
    out.push(`    <nodes_configured number="${all.length}"/>`);
    const resources = [...this.state.cib.elements.values()].filter((e) => e.section === "resources");
    out.push(`    <resources_configured number="${resources.reduce((n, e) => n + e.members.length * (e.tag === "clone" || e.tag === "master" ? all.length : 1), 0)}" disabled="0" blocked="0"/>`);
    out.push(`    <cluster_options stonith-enabled="${this.state.cib.properties.get("stonith-enabled") ?? "true"}" symmetric-cluster="true" no-quorum-policy="${this.state.cib.properties.get("no-quorum-policy") ?? "stop"}" maintenance-mode="false" stop-all-resources="false" stonith-timeout-ms="60000" priority-fencing-delay-ms="0"/>`);
    out.push(`  </summary>`);
    out.push(`  <nodes>`);
    for (const n of all) {
      const up = online.has(n);
      out.push(`    <node ${attrs({ name: n, id: idOf(n), online: up, standby: false, standby_onfail: false, maintenance: false, pending: false, unclean: false, health: "green", feature_set: "3.16.2", shutdown: false, expected_up: up, is_dc: up && n === dc, resources_running: 0, type: "member" })}/>`);
    }
    out.push(`  </nodes>`);
    const agents = new Map<string, string>();
    for (const e of this.state.cib.elements.values()) for (const [m, agent] of Object.entries(e.agents)) agents.set(m, agent);
    const resource = (id: string, role: string | undefined, node: string | undefined, indent: string) => {
      const running = role !== undefined && role !== "Stopped" && node !== undefined;
      const head = `${indent}<resource ${attrs({ id, resource_agent: agents.get(id) ?? "ocf:heartbeat:Dummy", role: running ? role : "Stopped", active: running, orphaned: false, blocked: false, maintenance: false, managed: true, failed: false, failure_ignored: false, nodes_running_on: running ? 1 : 0 })}`;
      return running ? `${head}>\n${indent}  <node name="${node}" id="${idOf(node)}" cached="true"/>\n${indent}</resource>` : `${head}/>`;
    };
    out.push(`  <resources>`);
    for (const e of resources) {
      const roles = this.state.roles.get(e.id) ?? new Map<string, string>();
      if (e.tag === "clone" || e.tag === "master") {
        out.push(`    <clone ${attrs({ id: e.id, multi_state: e.promotable, unique: false, maintenance: false, managed: true, disabled: false, failed: false, failure_ignored: false })}>`);
        all.forEach((n, i) => {
          const role = roles.get(n);
          if (e.group !== undefined) {
            out.push(`      <group id="${e.group}:${i}" number_resources="${e.members.length}" maintenance="false" managed="true" disabled="false">`);
            for (const m of e.members) out.push(resource(m, role, n, "        "));
            out.push(`      </group>`);
          } else for (const m of e.members) out.push(resource(m, role, n, "      "));
        });
        out.push(`    </clone>`);
      } else if (e.tag === "group") {
        const [node, role] = [...roles.entries()][0] ?? [undefined, undefined];
        out.push(`    <group id="${e.id}" number_resources="${e.members.length}" maintenance="false" managed="true" disabled="false">`);
        for (const m of e.members) out.push(resource(m, role, node, "      "));
        out.push(`    </group>`);
      } else {
        const [node, role] = [...roles.entries()][0] ?? [undefined, undefined];
        out.push(resource(e.id, role, node, "    "));
      }
    }
    out.push(`  </resources>`);
    if (this.state.failures.length) {
      out.push(`  <failures>`);
      for (const f of this.state.failures) out.push(`    <failure ${attrs({ op_key: f.opKey, node: f.node, exitstatus: "error", exitreason: f.reason, exitcode: 1, call: 12, status: "complete", "last-rc-change": "2024-01-08 09:59:30 +00:00", queued: 0, exec: 40, interval: 0, task: "start" })}/>`);
      out.push(`  </failures>`);
    }
    out.push(`  <status code="0" message="OK"/>`);
    out.push(`</pacemaker-result>`);
    return ok(`<?xml version="1.0"?>\n${out.join("\n")}\n`);
  }

  private cibadmin(args: readonly string[]): ExecResult | undefined {
    if (args[0] !== "--query" || args[1] !== "--scope" || args[2] !== "resources" || args[3] !== "--xpath" || args.length !== 5) return undefined;
    if (!this.unitActive("pacemaker")) return fail(102, "Could not connect to the CIB: Transport endpoint is not connected\nInit failed, could not perform requested operations");
    const xpath = args[4] as string;
    const byId = /^\/\/\*\[@id='([^']+)'\]$/.exec(xpath);
    if (byId) {
      const id = byId[1] as string;
      const found = [...this.state.cib.elements.values()].find((e) => e.id === id || e.group === id || e.members.includes(id));
      return found ? ok(`<${found.tag} id="${id}"/>\n`) : fail(105, "cibadmin: Could not query resources: No such device or address");
    }
    // Any ocf:linbit:drbd primitive for the resource, or (with [@id!='X']) any but X.
    const drbd = /^\/\/primitive\[@type='drbd'\](?:\[@id!='([^']+)'\])?\/instance_attributes\/nvpair\[@name='drbd_resource'\]\[@value='([^']+)'\]$/.exec(xpath);
    if (!drbd) return undefined;
    const [, except, resource] = drbd;
    const primitive = [...this.state.cib.elements.values()]
      .filter((e) => e.definition.some((argv) => argv.includes(`drbd_resource=${resource}`)))
      .flatMap((e) => Object.entries(e.agents).filter(([id, agent]) => agent === "ocf:linbit:drbd" && id !== except).map(([id]) => id))[0];
    if (primitive === undefined) return fail(105, "cibadmin: Could not query resources: No such device or address");
    return ok(`<nvpair id="${primitive}-instance_attributes-drbd_resource" name="drbd_resource" value="${resource}"/>\n`);
  }

  private sh(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    if (args[0] !== "-c") return undefined;
    const script = args[1] ?? "";
    if (args.length === 2 && script.startsWith("dpkg-query -W -f='${Version}' pcs")) {
      return this.state.packages.has("pcs") ? ok("0.11.5-1") : fail(1, "package pcs is not installed");
    }
    if (args.length === 4 && script === 'cibadmin --empty > "$1"' && args[2] === "sh") {
      this.mutate(call);
      // The shell creates the file before it finds out there is no cibadmin.
      if (!this.state.packages.has("pacemaker-cli-utils")) {
        this.t.setFile(args[3] as string, "");
        return fail(127, "sh: 1: cibadmin: not found");
      }
      this.t.setFile(args[3] as string, JSON.stringify({ sim: "cib", properties: {}, elements: {} }));
      return ok();
    }
    return undefined;
  }

  /** pcs_batch.py: runs the stage's pcs commands against the file named by -f. */
  private pcsBatch(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    if (args[0] !== "-f" || args.length !== 2) return undefined;
    this.mutate(call);
    if (!this.state.packages.has("pcs")) return fail(1, "importlib.metadata.PackageNotFoundError: No package metadata was found for pcs");
    const file = args[1] as string;
    if (!this.t.files.has(file)) return fail(1, `Error: unable to read the CIB file '${file}'`);
    const commands = JSON.parse(call.options.stdin?.toString() ?? "[]") as string[][];
    const desired = desiredFromPcs(commands);
    const lines = commands.map((_, i) => JSON.stringify({ line: i + 1, rc: "error" in desired && desired.failedAt === i ? 1 : 0, seconds: 0.01, stdout: "" }));
    if ("error" in desired) return { code: 1, stdout: lines.slice(0, desired.failedAt + 1).join("\n") + "\n", stderr: `Error: ${desired.error}\n` };
    this.t.setFile(file, serializeCib(desired.cib));
    return ok(lines.join("\n") + "\n");
  }

  /** cib_sync.py check|apply DESIRED: the managed difference, pushed on apply. */
  private cibSync(args: readonly string[], call: FakeExecCall): ExecResult | undefined {
    const [mode, file] = args;
    if ((mode !== "check" && mode !== "apply") || file === undefined || args.length !== 2) return undefined;
    if (mode === "apply") this.mutate(call);
    if (!this.unitActive("pacemaker")) return fail(1, "subprocess.CalledProcessError: Command '['cibadmin', '--query']' returned non-zero exit status 102.");
    const body = this.t.fileText(file);
    if (body === undefined) return fail(1, `FileNotFoundError: [Errno 2] No such file or directory: '${file}'`);
    const desired = parseCib(body);
    let changes = cibDifferences(this.state.cib, desired);
    let pushed = false;
    if (mode === "apply" && changes.length) {
      mergeCib(this.state.cib, desired);
      pushed = true;
      changes = cibDifferences(this.state.cib, desired);
    }
    return ok(`${JSON.stringify({ changes, pushed })}\n`);
  }
}

/** The value of `name=value` among a pcs command's arguments. */
function param(argv: readonly string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

function parseCorosync(conf: string): { name: string; addresses: string[] } {
  return { name: /cluster_name:\s*(\S+)/.exec(conf)?.[1] ?? "", addresses: [...conf.matchAll(/ring0_addr:\s*(\S+)/g)].map((m) => m[1] as string) };
}

/** What a CIB built from nothing with these pcs commands holds, or the command pcs rejects. */
export function desiredFromPcs(commands: readonly (readonly string[])[]): { cib: Cib } | { error: string; failedAt: number } {
  const cib: Cib = { properties: new Map(), elements: new Map() };
  const add = (e: CibElement) => cib.elements.set(e.id, e);
  for (const [i, argv] of commands.entries()) {
    const a = [...argv];
    const [area, verb, id] = a;
    if (area === "property" && verb === "set") {
      for (const kv of a.slice(2)) {
        const [k, v] = kv.split("=", 2) as [string, string | undefined];
        cib.properties.set(k, v ?? "");
      }
    } else if ((area === "resource" || area === "stonith") && verb === "create" && id) {
      const agent = area === "stonith" ? `stonith:${a[3] ?? ""}` : (a[3] ?? "");
      const groupAt = a.indexOf("--group");
      const group = groupAt >= 0 ? a[groupAt + 1] : undefined;
      if (group !== undefined) {
        const g = cib.elements.get(group) ?? { id: group, section: "resources", tag: "group", members: [], agents: {}, promotable: false, definition: [] };
        g.members.push(id);
        g.agents[id] = agent;
        g.definition.push(a);
        add(g);
      } else if (a.includes("promotable") || a.includes("master")) {
        const master = a.includes("master");
        add({ id: `${id}-${master ? "master" : "clone"}`, section: "resources", tag: master ? "master" : "clone", members: [id], agents: { [id]: agent }, promotable: true, definition: [a] });
      } else {
        add({ id, section: "resources", tag: "primitive", members: [id], agents: { [id]: agent }, promotable: false, definition: [a] });
      }
    } else if (area === "resource" && verb === "clone" && id) {
      const g = cib.elements.get(id);
      if (!g) return { error: `unable to find resource '${id}'`, failedAt: i };
      cib.elements.delete(id);
      add({ id: `${id}-clone`, section: "resources", tag: "clone", members: g.members, agents: g.agents, ...(g.tag === "group" ? { group: id } : {}), promotable: false, definition: [...g.definition, a] });
    } else if (area === "constraint" && verb === "location" && a[3] === "avoids") {
      add({ id: `location-${id}-${a[4]}--INFINITY`, section: "constraints", tag: "rsc_location", members: [], agents: {}, promotable: false, definition: [a] });
    } else if (area === "constraint" && verb === "order") {
      const then = a.indexOf("then");
      add({ id: `order-${a[then - 1]}-${a[a.length - 1]}-mandatory`, section: "constraints", tag: "rsc_order", members: [], agents: {}, promotable: false, definition: [a] });
    } else if (area === "constraint" && verb === "colocation" && id === "add") {
      add({ id: `colocation-${a[3]}-${a[a.length - 1]}-INFINITY`, section: "constraints", tag: "rsc_colocation", members: [], agents: {}, promotable: false, definition: [a] });
    } else {
      return { error: `node-sim does not model 'pcs ${a.join(" ")}'`, failedAt: i };
    }
  }
  return { cib };
}

function serializeCib(cib: Cib): string {
  return JSON.stringify({ sim: "cib", properties: Object.fromEntries(cib.properties), elements: Object.fromEntries(cib.elements) });
}

function parseCib(body: string): Cib {
  const raw = JSON.parse(body) as { properties: Record<string, string>; elements: Record<string, CibElement> };
  return { properties: new Map(Object.entries(raw.properties)), elements: new Map(Object.entries(raw.elements)) };
}

/** The same comparison cib_sync.py makes: managed properties, and managed elements by id. */
function cibDifferences(live: Cib, desired: Cib): { kind: string; id: string; tag?: string; before?: string | null; after?: string }[] {
  const changes: { kind: string; id: string; tag?: string; before?: string | null; after?: string }[] = [];
  for (const [k, v] of desired.properties) {
    const have = live.properties.get(k);
    if (have !== v) changes.push({ kind: "property", id: k, before: have ?? null, after: v });
  }
  for (const [id, e] of desired.elements) {
    const have = live.elements.get(id);
    if (!have) changes.push({ kind: "add", id, tag: e.tag });
    else if (JSON.stringify(have.definition) !== JSON.stringify(e.definition)) changes.push({ kind: "change", id, tag: e.tag });
  }
  return changes;
}

function mergeCib(live: Cib, desired: Cib): void {
  for (const [k, v] of desired.properties) live.properties.set(k, v);
  for (const [id, e] of desired.elements) live.elements.set(id, structuredClone(e));
}
