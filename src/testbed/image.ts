/**
 * Builds a Debian guest image (12 or 13) with mmdebstrap, or reuses the cached one while the
 * recipe is unchanged. The result is base.qcow2 plus the kernel and initrd for direct
 * `-kernel` boot, the client key the image trusts, and a known_hosts file for its host key
 * (one host key for every image, made once, so known_hosts holds whichever image runs).
 */

import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { TestbedError } from "./errors.js";
import { runLocal } from "./exec.js";
import { secondsSince, stderrLog } from "./log.js";
import type { Log } from "./log.js";
import { cachePaths, pathExists } from "./paths.js";
import type { CachePaths } from "./paths.js";
import { AUTHORIZED_KEYS_PATH, HOST_KEY_PATH, imageRecipe, mmdebstrapArgs, parseDebianSources, recipeHash } from "./recipe.js";
import type { DebianMirrors, ImageRecipe } from "./recipe.js";
import { knownHostsContent } from "./ssh.js";

const APT_SOURCES = "/etc/apt/sources.list.d/debian.sources";

export interface ImageState {
  current: boolean;
  /** Why the image must be (re)built; empty when it is current. */
  reason: string;
}

export interface BuildTimings {
  mmdebstrapSec: number;
  imageSec: number;
  totalSec: number;
}

export interface ImageOptions {
  paths?: CachePaths;
  recipe?: ImageRecipe;
  log?: Log;
}

/** The Debian mirrors this machine's apt uses: a build fetches from there, never from a fixed host. */
export async function hostMirrors(): Promise<DebianMirrors> {
  const sources = await readFile(APT_SOURCES, "utf8").catch(() => {
    throw new TestbedError(`cannot read ${APT_SOURCES}`, "packages are fetched from the Debian mirror the host's apt uses; configure it in deb822 format there");
  });
  return parseDebianSources(sources);
}

export async function imageState(options: ImageOptions = {}): Promise<ImageState> {
  const { paths = cachePaths() } = options;
  const recipe = options.recipe ?? imageRecipe(paths.distro);
  const stamp = await readFile(paths.stamp, "utf8").catch(() => undefined);
  if (stamp === undefined) return { current: false, reason: "no image built yet" };
  if (stamp.trim() !== recipeHash(recipe)) return { current: false, reason: "the image recipe changed" };
  for (const path of [paths.baseImage, paths.kernel, paths.initrd, paths.clientKey, paths.clientPublicKey, paths.knownHosts]) {
    if (!(await pathExists(path))) return { current: false, reason: `${path} is missing` };
  }
  return { current: true, reason: "" };
}

async function chmodDirectories(dir: string, mode: number): Promise<void> {
  await chmod(dir, mode);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await chmodDirectories(join(dir, entry.name), mode);
  }
}

/** A new key pair at `path` unless both halves are there; a half alone is replaced. */
async function ensureKeyPair(path: string, comment: string): Promise<void> {
  if ((await pathExists(path)) && (await pathExists(`${path}.pub`))) return;
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  await runLocal("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], "ssh-keygen comes with openssh-client");
}

/** The recipe's files and the keys, laid out as they go into the guest's root. */
async function stageGuestFiles(stageDir: string, recipe: ImageRecipe, clientPublicKey: string, guestHostKey: string): Promise<string> {
  const place = async (relative: string, content: string, mode: number): Promise<void> => {
    const target = join(stageDir, relative);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, content);
    await chmod(target, mode);
  };
  for (const file of recipe.files) await place(file.path, file.content, file.mode);
  await place(AUTHORIZED_KEYS_PATH, clientPublicKey, 0o600);
  const hostKey = join(stageDir, HOST_KEY_PATH);
  await mkdir(dirname(hostKey), { recursive: true, mode: 0o755 });
  // sync-in copies with tar, which also applies the staged directories' modes (the stage's own
  // included, to the guest's `/`); mkdir's modes went through our umask, so set them here.
  await chmodDirectories(stageDir, 0o755);
  for (const directory of recipe.directories) await chmod(join(stageDir, directory.path), directory.mode);

  await copyFile(guestHostKey, hostKey);
  await chmod(hostKey, 0o600);
  await copyFile(`${guestHostKey}.pub`, `${hostKey}.pub`);
  return readFile(`${hostKey}.pub`, "utf8");
}

async function onlyFile(dir: string, prefix: string): Promise<string> {
  const matches = (await readdir(dir)).filter((name) => name.startsWith(prefix));
  const [first] = matches;
  if (first === undefined || matches.length > 1) {
    throw new TestbedError(
      `expected one ${prefix}* in the guest's /boot, found ${matches.length}`,
      "the recipe must install exactly one kernel (linux-image-amd64)",
    );
  }
  return join(dir, first);
}

export async function buildImage(options: ImageOptions = {}): Promise<BuildTimings> {
  const { paths = cachePaths(), log = stderrLog } = options;
  const recipe = options.recipe ?? imageRecipe(paths.distro);
  if (process.getuid?.() !== 0) {
    throw new TestbedError(
      "building the test-bed image needs root",
      "mmdebstrap --mode=root and mkfs.ext4 -d create a root-owned filesystem; run as root",
    );
  }
  const mirrors = await hostMirrors();

  const start = Date.now();
  await mkdir(paths.root, { recursive: true });
  // Without a stamp an interrupted build is never mistaken for a finished one.
  await rm(paths.stamp, { force: true });
  await rm(paths.buildDir, { recursive: true, force: true });
  await mkdir(paths.buildDir, { recursive: true });
  await ensureKeyPair(paths.clientKey, "gfsdeploy-testbed");
  await ensureKeyPair(paths.guestHostKey, "root@gfsdeploy-testbed");

  const stageDir = await mkdtemp(join(tmpdir(), "gfsdeploy-stage-"));
  try {
    const hostPublicKey = await stageGuestFiles(stageDir, recipe, await readFile(paths.clientPublicKey, "utf8"), paths.guestHostKey);
    const rootfs = join(paths.buildDir, "rootfs");
    log(`mmdebstrap: ${recipe.suite} with ${recipe.packages.length} packages from ${mirrors.main}`);
    await runLocal("mmdebstrap", mmdebstrapArgs(recipe, { mirrors, stageDir, rootfs }), "see mmdebstrap's output above; is the host's Debian mirror reachable?", {
      // Its progress goes to our stderr, like all progress, so stdout stays for results.
      stdout: ["pipe", 2],
      stderr: ["pipe", "inherit"],
    });
    const mmdebstrapSec = secondsSince(start);
    log(`mmdebstrap: ${mmdebstrapSec} s`);

    const imageStart = Date.now();
    const bootDir = join(rootfs, "boot");
    await copyFile(await onlyFile(bootDir, "vmlinuz-"), join(paths.buildDir, "vmlinuz"));
    await copyFile(await onlyFile(bootDir, "initrd.img-"), join(paths.buildDir, "initrd.img"));
    const raw = join(paths.buildDir, "base.raw");
    await runLocal("mkfs.ext4", ["-q", "-L", "root", "-d", rootfs, raw, recipe.rootSize], "mkfs.ext4 comes with e2fsprogs");
    // The rootfs is about 1 GB and the compressed image has it all: drop it before converting.
    await rm(rootfs, { recursive: true, force: true });
    const qcow2 = join(paths.buildDir, "base.qcow2");
    await runLocal("qemu-img", ["convert", "-O", "qcow2", "-c", raw, qcow2], "qemu-img comes with qemu-utils");
    await rm(raw, { force: true });

    await rename(qcow2, paths.baseImage);
    await rename(join(paths.buildDir, "vmlinuz"), paths.kernel);
    await rename(join(paths.buildDir, "initrd.img"), paths.initrd);
    await writeFile(paths.knownHosts, knownHostsContent(hostPublicKey));
    await writeFile(paths.stamp, `${recipeHash(recipe)}\n`);
    const imageSec = secondsSince(imageStart);
    const totalSec = secondsSince(start);
    log(`image: ${imageSec} s, total: ${totalSec} s -> ${paths.baseImage}`);
    return { mmdebstrapSec, imageSec, totalSec };
  } finally {
    await rm(stageDir, { recursive: true, force: true });
    await rm(paths.buildDir, { recursive: true, force: true });
  }
}

/** Builds the image when forced or when the cached one is stale; returns the timings of a build. */
export async function ensureImage(options: ImageOptions & { force?: boolean } = {}): Promise<BuildTimings | undefined> {
  const { force = false, log = stderrLog } = options;
  const state = await imageState(options);
  if (state.current && !force) {
    log(`image: cached (${(options.paths ?? cachePaths()).baseImage})`);
    return undefined;
  }
  log(`image: building (${force ? "forced" : state.reason})`);
  return buildImage(options);
}
