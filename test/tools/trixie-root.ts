/**
 * A Debian 13 (trixie) directory tree holding pcs 0.12 and Pacemaker 3.0, so that the
 * debian13 dialect's CIB commands are judged by the tools its nodes run: this machine's pcs
 * 0.11 still takes syntax that pcs 0.12 refuses (the Master role, for one).
 *
 * Built once with mmdebstrap and reused from `$GFSDEPLOY_CACHE/validators/trixie/<hash>`, the
 * hash being that of the recipe below: a changed package list builds a new tree, and the old
 * one goes. A build lands under its final name by one rename, so a tree found there is whole.
 * No daemon starts in it: mmdebstrap installs with a policy-rc.d that forbids starting
 * services, and nothing in a chroot sees a running systemd.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

import { execa } from "execa";

import { hostMirrors } from "../../src/testbed/image.js";
import { gfsdeployCache } from "../../src/testbed/paths.js";

const RECIPE = {
  suite: "trixie",
  packages: [
    "pcs",
    "pacemaker",
    // crm_simulate, crm_verify, crm_attribute, crm_mon: only a Recommends of pacemaker.
    "pacemaker-cli-utils",
    // pcs reads each agent's metadata from the agent itself, so every agent the debian13
    // fixture names must be here: lvmlockd, LVM-activate and Filesystem (pacemaker brings
    // controld through pacemaker-resource-agents), ocf:linbit:drbd from drbd-utils.
    "resource-agents",
    "drbd-utils",
    // trixie splits fence-agents into a package per agent: the fixture's fence_ipmilan, and
    // fence_sbd, which a debian13 cluster fencing through SBD names.
    "fence-agents-ipmilan",
    "fence-agents-sbd",
  ],
  mmdebstrap: [
    "--mode=root",
    "--variant=apt",
    '--aptopt=Apt::Install-Recommends "false"',
    // Documentation and translations: never read here, only unpacked and kept.
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
  ],
};

/** A build directory this old belongs to a run that died (a build takes about 2 minutes). */
const ABANDONED_BUILD_MS = 60 * 60 * 1000;

/** What this machine lacks to build the root, and how to get it. */
export interface Missing {
  what: string;
  howToGet: string;
}

export async function cannotBuildTrixieRoot(): Promise<Missing | undefined> {
  if (process.getuid?.() !== 0) return { what: "root (mmdebstrap --mode=root builds the trixie root, chroot enters it)", howToGet: "run the suite as root, as CI does" };
  const found = await execa("mmdebstrap", ["--version"], { reject: false });
  if (found.exitCode !== 0) return { what: "mmdebstrap, which builds the trixie root", howToGet: "`.ci/install-deps` installs it (Debian package mmdebstrap)" };
  return undefined;
}

let pending: Promise<string> | undefined;

/** The trixie root's directory, built first if it is missing or its recipe changed. */
export function trixieRoot(): Promise<string> {
  pending ??= ensureRoot();
  return pending;
}

/** Where the root of today's recipe is, built or not: named by the recipe's hash. */
export function trixieRootPath(): string {
  return join(gfsdeployCache(), "validators", "trixie", createHash("sha256").update(JSON.stringify(RECIPE)).digest("hex").slice(0, 16));
}

async function ensureRoot(): Promise<string> {
  const root = trixieRootPath();
  if (!(await stat(root).catch(() => undefined))) await build(dirname(root), root);
  await dropStale(dirname(root), basename(root));
  return root;
}

async function build(parent: string, root: string): Promise<void> {
  const mirrors = await hostMirrors();
  await mkdir(parent, { recursive: true });
  const partial = await mkdtemp(join(parent, ".build-"));
  const started = Date.now();
  process.stderr.write(`trixie validator root: building ${root} with mmdebstrap (once; about 2 minutes)\n`);
  try {
    const run = await execa(
      "mmdebstrap",
      [
        ...RECIPE.mmdebstrap,
        `--include=${RECIPE.packages.join(",")}`,
        RECIPE.suite,
        partial,
        `deb ${mirrors.main} ${RECIPE.suite} main`,
        `deb ${mirrors.main} ${RECIPE.suite}-updates main`,
        `deb ${mirrors.security} ${RECIPE.suite}-security main`,
      ],
      { reject: false, all: true, stdin: "ignore" },
    );
    if (run.exitCode !== 0) {
      throw new Error(`mmdebstrap could not build the trixie validator root (exit ${run.exitCode}); is the Debian mirror reachable?\n${(run.all ?? "").split("\n").slice(-30).join("\n")}`);
    }
    await rename(partial, root).catch(async (e: NodeJS.ErrnoException) => {
      // Another test run built the same recipe first: its tree is as good as ours.
      if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
      await rm(partial, { recursive: true, force: true });
    });
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    throw e;
  }
  const size = (await execa("du", ["-sm", root])).stdout.split("\t")[0];
  process.stderr.write(`trixie validator root: built in ${Math.round((Date.now() - started) / 1000)} s, ${size} MiB\n`);
}

/** Trees of earlier recipes, and builds abandoned by runs that died; a build under way stays. */
async function dropStale(parent: string, current: string): Promise<void> {
  for (const entry of await readdir(parent)) {
    const path = join(parent, entry);
    // Another run may remove an entry first.
    const modified = (await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now();
    const abandoned = entry.startsWith(".build-") && Date.now() - modified > ABANDONED_BUILD_MS;
    if (abandoned || (!entry.startsWith(".") && entry !== current)) await rm(path, { recursive: true, force: true });
  }
}
