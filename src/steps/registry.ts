import { cib } from "./cib.js";
import { clusterReady, clusterStart, waitResources } from "./cluster.js";
import { createMd, initialSync, up } from "./drbd.js";
import { file, secretFile } from "./files.js";
import { mkfsGfs2 } from "./gfs2.js";
import { lvcreate, lvmDevice, pvcreate, vgcreate } from "./lvm.js";
import { haclusterPassword, pcsAuth } from "./pcs.js";
import { repos } from "./repos.js";
import { sbdDevice } from "./sbd.js";
import { hostname, hosts, packages, service } from "./system.js";
import type { HandlerRegistry } from "./types.js";

/** Every step kind the compiler emits has exactly one handler here (the type checks it). */
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
  cib,
  "wait-resources": waitResources,
  "lvm-device": lvmDevice,
  pvcreate,
  vgcreate,
  lvcreate,
  "mkfs-gfs2": mkfsGfs2,
};
