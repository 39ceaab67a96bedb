/** LVM as this node sees it: the reads and pure readers the LVM and teardown steps judge by. */

import { execRead, type Facts, type Read } from "./facts.js";

// One LVM command per question: each one scans the devices, and under TCG that costs seconds.
const pvRead = (device: string) => execRead("pvs", "--noheadings", "-o", "pv_name,vg_name", device);
const pvSizesRead = (device: string) => execRead("pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pv_size,dev_size,pe_start,vg_extent_size", device);
const vgRead = (vg: string) => execRead("vgs", "--noheadings", "-o", "vg_name,vg_lock_type", vg);
const lvSizeRead = (vg: string, lv: string) => execRead("lvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "lv_size,vg_extent_size", `${vg}/${lv}`);
const lvActive = (vg: string) => execRead("lvs", "--noheadings", "--binary", "-o", "lv_name,lv_active_locally", vg);
const lockInfo = execRead("lvmlockctl", "--info");

export const pvReads = (device: string): Read[] => [pvRead(device)];
export const isPv = (f: Facts, device: string): boolean => f.get(pvRead(device)).code === 0;
/** The VG a PV belongs to, "" for none (or no PV): the second column, blank when it has no VG. */
export const pvOwner = (f: Facts, device: string): string => {
  const r = f.get(pvRead(device));
  return r.code === 0 ? (r.stdout.trim().split(/\s+/)[1] ?? "") : "";
};

/** A PV's size, its device's and where its data starts, with its VG's extent size, in bytes; why not, when they cannot be read. */
export const pvSizesReads = (device: string): Read[] => [pvSizesRead(device)];
export function pvSizes(f: Facts, device: string): { pv: number; dev: number; peStart: number; extent: number } | { why: string } {
  const r = f.get(pvSizesRead(device));
  if (r.code !== 0) return { why: `pvs ${device} exited ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}` };
  const [pv, dev, peStart, extent] = r.stdout.trim().split(/\s+/).map(Number);
  if (![pv, dev, peStart, extent].every((n) => Number.isSafeInteger(n) && (n as number) > 0)) return { why: `cannot read the sizes of PV ${device} from pvs: '${r.stdout.trim()}'` };
  return { pv: pv as number, dev: dev as number, peStart: peStart as number, extent: extent as number };
}

export const vgReads = (vg: string): Read[] => [vgRead(vg)];
/** The VG's lock type ("" for a local VG: the column is blank), or undefined when there is no such VG. */
export function vgLockType(f: Facts, vg: string): string | undefined {
  const r = f.get(vgRead(vg));
  return r.code === 0 ? (r.stdout.trim().split(/\s+/)[1] ?? "") : undefined;
}
export const vgExists = (f: Facts, vg: string): boolean => f.get(vgRead(vg)).code === 0;

/**
 * An LV's size in LVM's metadata and its VG's extent size, in bytes; "absent" when there is
 * no such LV. Only a missing VG or LV means that: LVM that cannot reach a shared VG (no
 * use_lvmlockd here, lockspace not started) knows nothing about it, and must not be taken at
 * its word, so that case is `{ why }`.
 */
export const lvSizeReads = (vg: string, lv: string): Read[] => [lvSizeRead(vg, lv)];
export function lvSize(f: Facts, vg: string, lv: string): { bytes: number; extent: number } | "absent" | { why: string } {
  const r = f.get(lvSizeRead(vg, lv));
  if (r.code !== 0 && /not found|Failed to find/.test(r.stderr)) return "absent";
  if (r.code !== 0) return { why: `lvs ${vg}/${lv} exited ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}` };
  const [bytes, extent] = r.stdout.trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(extent)) return { why: `cannot read the size of ${vg}/${lv} from lvs: '${r.stdout.trim()}'` };
  return { bytes: bytes as number, extent: extent as number };
}

/** The LVs of `vg` active on this node, by name. */
export const activeLvsReads = (vg: string): Read[] => [lvActive(vg)];
export function activeLvs(f: Facts, vg: string): string[] {
  const r = f.get(lvActive(vg));
  if (r.code !== 0) return [];
  return r.stdout.split("\n").flatMap((line) => {
    const [name, active] = line.trim().split(/\s+/);
    return name && active === "1" ? [name] : [];
  });
}

/** Whether lvmlockd holds the VG's lockspace here; false when lvmlockd is not running. */
export const lockspaceReads = (): Read[] => [lockInfo];
export function lockspaceStarted(f: Facts, vg: string): boolean {
  const r = f.get(lockInfo);
  return r.code === 0 && new RegExp(`^VG ${vg} |\\bvg_name=${vg}\\b`, "m").test(r.stdout);
}

const DEVICES_FILE = "/etc/lvm/devices/system.devices";
const useDevicesFile = execRead("lvmconfig", "--typeconfig", "full", "devices/use_devicesfile");
const devicesFile = execRead("test", "-e", DEVICES_FILE);
const lvmdevices = execRead("lvmdevices");

/**
 * The devices LVM's devices file lists, or undefined when LVM on this node reads none:
 * use_devicesfile on (EL9's default) and the file present. Without the file LVM falls back
 * to the lvm.conf filter even when it is on.
 */
export const devicesFileReads = (): Read[] => [useDevicesFile, devicesFile, lvmdevices];
export function devicesFileListing(f: Facts): string | undefined {
  if (!/use_devicesfile\s*=\s*1/.test(f.get(useDevicesFile).stdout)) return undefined;
  if (f.get(devicesFile).code !== 0) return undefined;
  return f.get(lvmdevices).stdout;
}
