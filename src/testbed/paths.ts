/**
 * Where the test bed keeps its files. Each distribution's image is built once and reused
 * under `images/<distro>/`; the keys are made once and serve every image; `run/` holds what
 * belongs to the running VMs (disks, pid files, QMP sockets, consoles).
 */

import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { NodeName } from "./nodes.js";
import { TestbedError } from "./errors.js";

/** The guest distributions the test bed can build. */
export type TestbedDistro = "debian12" | "debian13";
export const TESTBED_DISTROS: readonly TestbedDistro[] = ["debian12", "debian13"];
export const DEFAULT_TESTBED_DISTRO: TestbedDistro = "debian12";

export interface CachePaths {
  root: string;
  /** Which distribution's image the image paths below are. */
  distro: TestbedDistro;
  baseImage: string;
  kernel: string;
  initrd: string;
  clientKey: string;
  clientPublicKey: string;
  /** The guests' SSH host key: one for every image, so known_hosts fits whichever runs. */
  guestHostKey: string;
  knownHosts: string;
  /** Holds the hash of the recipe the image was built from. */
  stamp: string;
  /** Scratch space of an image build (rootfs, raw image); removed when the build ends. */
  buildDir: string;
  runDir: string;
  /** The 64 MiB raw SBD disk attached to both VMs. */
  sbdDisk: string;
  /** Which build of base.qcow2 the overlays in `run/` were created on (see baseImageIdentity). */
  disksBase: string;
}

export interface NodeRunPaths {
  overlay: string;
  drbdDisk: string;
  pidFile: string;
  qmpSocket: string;
  console: string;
}

/** Linux refuses unix socket paths longer than this (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

/** `$GFSDEPLOY_CACHE`, by default `~/.cache/gfsdeploy`: what gfsdeploy builds once and reuses. */
export function gfsdeployCache(env: NodeJS.ProcessEnv = process.env): string {
  return env["GFSDEPLOY_CACHE"] || join(homedir(), ".cache", "gfsdeploy");
}

/** `$GFSDEPLOY_CACHE/testbed`, by default `~/.cache/gfsdeploy/testbed`. */
export function cachePaths(env: NodeJS.ProcessEnv = process.env, distro: TestbedDistro = DEFAULT_TESTBED_DISTRO): CachePaths {
  const root = join(gfsdeployCache(env), "testbed");
  const image = join(root, "images", distro);
  const runDir = join(root, "run");
  return {
    root,
    distro,
    baseImage: join(image, "base.qcow2"),
    kernel: join(image, "vmlinuz"),
    initrd: join(image, "initrd.img"),
    clientKey: join(root, "id_ed25519"),
    clientPublicKey: join(root, "id_ed25519.pub"),
    guestHostKey: join(root, "guest_host_ed25519_key"),
    knownHosts: join(root, "known_hosts"),
    stamp: join(image, "stamp"),
    buildDir: join(image, "build"),
    runDir,
    sbdDisk: join(runDir, "sbd.raw"),
    disksBase: join(runDir, "disks.base"),
  };
}

export function nodeRunPaths(paths: CachePaths, node: NodeName): NodeRunPaths {
  const qmpSocket = join(paths.runDir, `${node}.qmp`);
  if (qmpSocket.length > MAX_SOCKET_PATH) {
    throw new TestbedError(
      `the QMP socket path ${qmpSocket} is longer than ${MAX_SOCKET_PATH} bytes, too long for a unix socket`,
      "point GFSDEPLOY_CACHE at a shorter directory",
    );
  }
  return {
    overlay: join(paths.runDir, `${node}.qcow2`),
    drbdDisk: join(paths.runDir, `drbd-${node}.qcow2`),
    pidFile: join(paths.runDir, `${node}.pid`),
    qmpSocket,
    console: join(paths.runDir, `${node}.console`),
  };
}

export async function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
