/**
 * The node state steps, status and health judge by, each as a pair: the reads it needs and
 * a pure reader of the gathered facts. One meaning per fact: a device's signature, a unit's
 * state or a mount is read here and nowhere else.
 */

import { parseCrmMon, type ClusterState } from "../steps/crm.js";
import { execRead, fileRead, type Facts, type Read } from "./facts.js";

/** What lives on a block device, from its own bytes: undefined = no signature; "missing" = no such block device. */
export const signatureReads = (device: string): Read[] => [execRead("test", "-b", device), execRead("blkid", "-p", "-o", "export", device)];

export function signature(f: Facts, device: string): string | undefined {
  if (f.exec("test", "-b", device).code !== 0) return "missing";
  const r = f.exec("blkid", "-p", "-o", "export", device);
  if (r.code === 2) return undefined;
  const fields = Object.fromEntries(r.stdout.split("\n").filter((l) => l.includes("=")).map((l) => l.split("=", 2) as [string, string]));
  return fields.TYPE ?? (fields.PTTYPE ? `partition table ${fields.PTTYPE}` : r.code === 0 ? "an unknown signature" : `unreadable (blkid exit ${r.code})`);
}

/** The size of a block device as this node's kernel sees it, in bytes; undefined when there is no such device. */
export const deviceBytesReads = (device: string): Read[] => [execRead("blockdev", "--getsize64", device)];

export function deviceBytes(f: Facts, device: string): number | undefined {
  const r = f.exec("blockdev", "--getsize64", device);
  const out = r.stdout.trim();
  return r.code === 0 && /^[0-9]+$/.test(out) ? Number(out) : undefined;
}

/** A systemd unit as systemctl reports it here: installed, enabled (also enabled-runtime), active. */
export const unitReads = (unit: string): Read[] => [execRead("systemctl", "is-enabled", unit), execRead("systemctl", "is-active", unit)];

export function unitState(f: Facts, unit: string): { exists: boolean; enabled: boolean; active: boolean } {
  const enabled = f.exec("systemctl", "is-enabled", unit);
  const state = enabled.stdout.trim();
  const exists = !(state === "" || /not-found|No such file/.test(enabled.stdout + enabled.stderr));
  return { exists, enabled: state === "enabled" || state === "enabled-runtime", active: f.exec("systemctl", "is-active", unit).stdout.trim() === "active" };
}

export const fileExistsReads = (path: string): Read[] => [execRead("test", "-e", path)];
export const fileExists = (f: Facts, path: string): boolean => f.exec("test", "-e", path).code === 0;

/** Mode, owner and group as `stat -c '%a %U %G'` prints them, or undefined when the file is missing. */
export const ownershipReads = (path: string): Read[] => [execRead("stat", "-c", "%a %U %G", path)];
export function ownership(f: Facts, path: string): string | undefined {
  const r = f.exec("stat", "-c", "%a %U %G", path);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** A file's SHA-256, so a secret's content is compared without crossing the wire. */
export const digestReads = (path: string): Read[] => [execRead("sha256sum", path)];
export function digest(f: Facts, path: string): string | undefined {
  const r = f.exec("sha256sum", path);
  return r.code === 0 ? r.stdout.split(/\s/)[0] : undefined;
}

export const fileReads = (path: string): Read[] => [fileRead(path)];

/** Which of `names` the package manager reports installed. */
export function packagesReads(manager: "apt" | "dnf" | "yum", names: readonly string[]): Read[] {
  return [manager === "apt" ? execRead("dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", ...names) : execRead("rpm", "-q", "--qf", "%{NAME}\\n", ...names)];
}

export function installedPackages(f: Facts, manager: "apt" | "dnf" | "yum", names: readonly string[]): Set<string> {
  if (manager === "apt") {
    const r = f.exec("dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", ...names);
    return new Set(r.stdout.split("\n").filter((l) => /\tii/.test(l)).map((l) => l.split("\t")[0] as string));
  }
  const r = f.exec("rpm", "-q", "--qf", "%{NAME}\\n", ...names);
  return new Set(r.stdout.split("\n").filter((l) => names.includes(l.trim())).map((l) => l.trim()));
}

/** drbdadm's one-word views of a resource; "Unconfigured" when it is not up here. */
export const drbdReads = (resource: string): Read[] => [execRead("drbdadm", "cstate", resource), execRead("drbdadm", "dstate", resource)];

export function drbdState(f: Facts, resource: string): { cstate: string; dstate: string } {
  const word = (r: { code: number; stdout: string }) => (r.code === 0 ? (r.stdout.trim().split("\n").pop()?.trim() ?? "") : "Unconfigured");
  return { cstate: word(f.exec("drbdadm", "cstate", resource)), dstate: word(f.exec("drbdadm", "dstate", resource)) };
}

export const isUp = (s: { cstate: string; dstate: string }) => s.cstate !== "Unconfigured" && !/^Unconfigured|^Diskless/.test(s.dstate);

const drbdPrimitive = (resource: string) => execRead("cibadmin", "--query", "--scope", "resources", "--xpath", `//primitive[@type='drbd']/instance_attributes/nvpair[@name='drbd_resource'][@value='${resource}']`);

/** Pacemaker owns the resource once the CIB has an ocf:linbit:drbd primitive for it. */
export const managedReads = (resource: string): Read[] => [drbdPrimitive(resource)];
export const managedByPacemaker = (f: Facts, resource: string): boolean => f.get(drbdPrimitive(resource)).code === 0;

const otherDrbdPrimitive = (resource: string, ours: string) =>
  execRead("cibadmin", "--query", "--scope", "resources", "--xpath", `//primitive[@type='drbd'][@id!='${ours}']/instance_attributes/nvpair[@name='drbd_resource'][@value='${resource}']`);

/** Pacemaker owns the resource through a primitive other than `ours`: one gfsdeploy did not make and does not remove. */
export const managedElsewhereReads = (resource: string, ours: string): Read[] => [otherDrbdPrimitive(resource, ours)];
export const managedElsewhere = (f: Facts, resource: string, ours: string): boolean => f.get(otherDrbdPrimitive(resource, ours)).code === 0;

/** What crm_mon says of the cluster, or undefined when Pacemaker does not answer here. */
export const clusterReads = (): Read[] => [execRead("crm_mon", "-1", "--output-as=xml")];
export function clusterState(f: Facts): ClusterState | undefined {
  const r = f.exec("crm_mon", "-1", "--output-as=xml");
  return r.code === 0 ? parseCrmMon(r.stdout) : undefined;
}

/**
 * Why crm_mon gave no state (from clusterReads), or undefined when it did: its exit status
 * and, in XML mode, its last error from the XML it prints on stdout (the one that says what
 * failed, e.g. `Connection to cluster failed: Connection refused`).
 */
export function clusterSilence(f: Facts): string | undefined {
  const r = f.exec("crm_mon", "-1", "--output-as=xml");
  if (r.code === 0) return undefined;
  const errors = [...r.stdout.matchAll(/<error>(?:crm_mon: )?([^<]*)<\/error>/g)].map((m) => m[1]?.trim());
  const last = errors.at(-1);
  return `crm_mon exited ${r.code}${last ? `: ${last}` : ""}`;
}

/** Running corosync's cluster name and ring0 addresses, or undefined when corosync is down. */
export const corosyncReads = (): Read[] => [execRead("systemctl", "is-active", "corosync"), execRead("corosync-cmapctl", "-g", "totem.cluster_name"), execRead("corosync-cmapctl", "-b", "nodelist.node")];

export function runningCorosync(f: Facts): { name: string; addresses: string[] } | undefined {
  if (f.exec("systemctl", "is-active", "corosync").stdout.trim() !== "active") return undefined;
  const name = f.exec("corosync-cmapctl", "-g", "totem.cluster_name").stdout.split("=").pop()?.trim() ?? "";
  const nodes = f.exec("corosync-cmapctl", "-b", "nodelist.node").stdout;
  const addresses = [...nodes.matchAll(/ring0_addr \(str\) = (\S+)/g)].map((m) => m[1] as string).sort();
  return { name, addresses };
}

/** The DLM lockspaces this node has joined, each with its members' node ids; none when dlm_controld is not running. */
export const lockspacesReads = (): Read[] => [execRead("dlm_tool", "ls")];
export function lockspaces(f: Facts): { name: string; members: string[] }[] {
  const r = f.exec("dlm_tool", "ls");
  if (r.code !== 0) return [];
  // One block per lockspace, each opened by its `name` line. A membership change under way
  // adds `new members`, which is not yet the membership.
  return r.stdout.split(/\n(?=name\s)/).flatMap((block) => {
    const name = /^name\s+(\S+)/m.exec(block)?.[1];
    const members = (/^members\s+(.*)$/m.exec(block)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
    return name === undefined ? [] : [{ name, members }];
  });
}

const gfs2MountList = execRead("findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS");

/** Every GFS2 filesystem mounted here, with the options it is mounted with. */
export const gfs2MountsReads = (): Read[] => [gfs2MountList];
export function gfs2Mounts(f: Facts): { mountpoint: string; options: string[] }[] {
  const r = f.get(gfs2MountList);
  // findmnt exits 1 when nothing matches. -P quotes each value and writes a quote inside one
  // (and any other special byte) as \xHH, so a mount point with spaces stays one value.
  if (r.code !== 0) return [];
  const unescape = (value: string) => value.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return r.stdout.split("\n").flatMap((line) => {
    const fields = new Map([...line.matchAll(/([A-Z]+)="([^"]*)"/g)].map((m) => [m[1], unescape(m[2] ?? "")]));
    const target = fields.get("TARGET");
    return target === undefined ? [] : [{ mountpoint: target, options: (fields.get("OPTIONS") ?? "").split(",").filter(Boolean) }];
  });
}

// POSIX `command -v`, not which(1): minimal installs lack which.
const missingToolsRead = (tools: readonly string[]) => execRead("sh", "-c", 'for t in "$@"; do command -v "$t" >/dev/null || echo "$t"; done', "sh", ...tools);

/** Which of `tools` this node lacks on its PATH, asked of one shell. */
export const toolsReads = (tools: readonly string[]): Read[] => (tools.length === 0 ? [] : [missingToolsRead(tools)]);
export function missingTools(f: Facts, tools: readonly string[]): string[] {
  if (tools.length === 0) return [];
  const r = f.get(missingToolsRead(tools));
  // With no shell to ask, none of them can be run either.
  return r.code === 0 ? r.stdout.split("\n").filter(Boolean) : [...tools];
}

/** Versions of the stack on one node, as the node's own tools print them. */
export interface StackVersions {
  kernel: string;
  drbd: string;
  gfs2Utils: string;
  pacemaker: string;
  corosync: string;
}

const versionCommands = {
  kernel: execRead("uname", "-r"),
  drbd: execRead("drbdadm", "--version"),
  gfs2Utils: execRead("mkfs.gfs2", "-V"),
  pacemaker: execRead("pacemakerd", "--version"),
  corosync: execRead("corosync", "-v"),
};

export const versionsReads = (): Read[] => [fileRead("/proc/drbd"), ...Object.values(versionCommands)];
export function stackVersions(f: Facts): StackVersions {
  // The first line of what the tool printed, on whichever stream it chose.
  const firstLine = (read: Read) => {
    const r = f.get(read);
    return (r.code === 0 ? (r.stdout.trim() || r.stderr.trim()).split("\n")[0] : undefined) || "unknown";
  };
  return {
    kernel: firstLine(versionCommands.kernel),
    // The running module's when one is loaded: drbd-utils is versioned apart from it (9.22
    // beside Debian 12's 8.4 module).
    drbd: f.file("/proc/drbd")?.split("\n")[0]?.trim() || firstLine(versionCommands.drbd),
    gfs2Utils: firstLine(versionCommands.gfs2Utils),
    pacemaker: firstLine(versionCommands.pacemaker),
    corosync: firstLine(versionCommands.corosync),
  };
}

/** GFS2 mounted at `mountpoint` here, as the kernel sees it. */
export const mountReads = (mountpoint: string): Read[] => [execRead("findmnt", "-n", "-o", "FSTYPE", "--mountpoint", mountpoint)];
export function gfs2Mounted(f: Facts, mountpoint: string): boolean {
  const r = f.exec("findmnt", "-n", "-o", "FSTYPE", "--mountpoint", mountpoint);
  return r.code === 0 && r.stdout.trim() === "gfs2";
}

/** Timeouts in an existing SBD header, or undefined when the device has none. */
export const sbdHeaderReads = (device: string): Read[] => [execRead("sbd", "-d", device, "dump")];
export function sbdHeader(f: Facts, device: string): { watchdog: number; msgwait: number } | undefined {
  const r = f.exec("sbd", "-d", device, "dump");
  if (r.code !== 0) return undefined;
  const num = (label: string) => Number(new RegExp(`Timeout \\(${label}\\)\\s*:\\s*(\\d+)`).exec(r.stdout)?.[1]);
  return { watchdog: num("watchdog"), msgwait: num("msgwait") };
}

/** The GFS2 lock table on a device (tunegfs2 -l), when it holds GFS2. */
export const lockTableReads = (device: string): Read[] => [execRead("tunegfs2", "-l", device)];
export const lockTable = (f: Facts, device: string): string | undefined => /^Lock table:\s*(\S+)/m.exec(f.exec("tunegfs2", "-l", device).stdout)?.[1];

/**
 * Where the filesystem ends, in bytes: the end of its last resource group in the resource
 * group index. gfs2_edit reads the index from the device after flushing the device's buffer
 * cache, so it sees what gfs2_grow wrote through the mount. Not `gfs2_grow -T`: it mounts the
 * gfs2meta filesystem to read the index, so it is no read-only probe. Not df: its size leaves
 * out resource group headers and bitmaps (about 1/16384 of the filesystem), so on a large
 * filesystem it stays short of the device by more than gfs2_grow could ever add.
 */
export const filesystemEndReads = (device: string): Read[] => [...lockTableReads(device), execRead("gfs2_edit", "-p", "rindex", device)];
export function filesystemEnd(f: Facts, device: string): number | undefined {
  const block = Number(/^Block size:\s*([0-9]+)/m.exec(f.exec("tunegfs2", "-l", device).stdout)?.[1]);
  const index = f.exec("gfs2_edit", "-p", "rindex", device).stdout;
  let data0 = 0;
  let end = 0;
  for (const line of index.split("\n")) {
    const field = /^\s*(ri_data0|ri_data)\s+([0-9]+)/.exec(line);
    if (field?.[1] === "ri_data0") data0 = Number(field[2]);
    else if (field) end = Math.max(end, data0 + Number(field[2]));
  }
  return block > 0 && end > 0 ? end * block : undefined;
}

/** The size in MB of each journal, from the journal index on the device; undefined when it lists none. */
export const journalReads = (device: string): Read[] => [execRead("gfs2_edit", "-p", "journals", device)];
export function journalSizes(f: Facts, device: string): number[] | undefined {
  const sizes = [...f.exec("gfs2_edit", "-p", "journals", device).stdout.matchAll(/^journal[0-9]+:\s+0x[0-9a-f]+\s+([0-9]+)MB/gm)].map((m) => Number(m[1]));
  return sizes.length > 0 ? sizes : undefined;
}
