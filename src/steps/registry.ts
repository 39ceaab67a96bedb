import { cib } from "./cib.js";
import { clusterReady, clusterStart, waitResources } from "./cluster.js";
import { createMd, initialSync, resize, up } from "./drbd.js";
import { file, secretFile } from "./files.js";
import { gfs2Grow, gfs2Journals, mkfsGfs2 } from "./gfs2.js";
import { lvcreate, lvextend, lvmDevice, lvRefresh, pvcreate, pvresize, vgcreate } from "./lvm.js";
import { haclusterPassword, pcsAuth } from "./pcs.js";
import { repos } from "./repos.js";
import { sbdDevice } from "./sbd.js";
import { cibRemove, clusterDestroy, drbdDown, drbdWipeMd, gfs2Unmounted, lvDeactivate, lvmRemove, wipeDevice } from "./teardown.js";
import { hostname, hosts, packages, service } from "./system.js";
import type { HandlerRegistry } from "./types.js";

/** Every step kind the compilers (apply and destroy) emit has exactly one handler here (the type checks it). */
export const handlers: HandlerRegistry = {
  repos,
  packages,
  hostname,
  hosts,
  file,
  "secret-file": secretFile,
  "hacluster-password": haclusterPassword,
  service,
  "pcs-auth": pcsAuth,
  "sbd-device": sbdDevice,
  "cluster-start": clusterStart,
  "cluster-ready": clusterReady,
  "drbd-create-md": createMd,
  "drbd-up": up,
  "drbd-initial-sync": initialSync,
  "drbd-resize": resize,
  cib,
  "wait-resources": waitResources,
  "lvm-device": lvmDevice,
  pvcreate,
  pvresize,
  vgcreate,
  lvcreate,
  lvextend,
  "lv-refresh": lvRefresh,
  "mkfs-gfs2": mkfsGfs2,
  "gfs2-grow": gfs2Grow,
  "gfs2-journals": gfs2Journals,
  "cib-remove": cibRemove,
  "gfs2-unmounted": gfs2Unmounted,
  "lv-deactivate": lvDeactivate,
  "lvm-remove": lvmRemove,
  "wipe-device": wipeDevice,
  "drbd-down": drbdDown,
  "drbd-wipe-md": drbdWipeMd,
  "cluster-destroy": clusterDestroy,
};
