/**
 * The guest image recipe as data. Its hash is the image's cache key: change a package, a
 * file or a hook and the next `testbed up` rebuilds the image; change nothing and the
 * cached image is reused. Keys and mirrors are deliberately outside the recipe: they vary
 * per machine and do not change what the image is.
 */

import { createHash } from "node:crypto";
import { NODES, WIRE_PREFIX_LENGTH } from "./nodes.js";
import { TestbedError } from "./errors.js";
import type { TestbedDistro } from "./paths.js";

export interface RecipeFile {
  /** Relative to the guest's root. */
  path: string;
  content: string;
  mode: number;
}

export interface RecipeDirectory {
  path: string;
  mode: number;
}

export interface ImageRecipe {
  suite: string;
  /** Size of the guest's ext4 root filesystem (mkfs.ext4 syntax). */
  rootSize: string;
  packages: readonly string[];
  aptOptions: readonly string[];
  dpkgOptions: readonly string[];
  /**
   * Directories whose mode is not 0755. They matter because the files are copied in with
   * tar, which also applies the mode of every directory on the way to a file.
   */
  directories: readonly RecipeDirectory[];
  files: readonly RecipeFile[];
  /** Shell run by mmdebstrap after the files are in place; `$1` is the guest's root. */
  customize: readonly string[];
}

/** Where the guest's client key and host key go; their contents are not part of the recipe. */
export const AUTHORIZED_KEYS_PATH = "root/.ssh/authorized_keys";
export const HOST_KEY_PATH = "etc/ssh/ssh_host_ed25519_key";

const PCS_SETTINGS = '"$1/usr/lib/python3/dist-packages/pcs/settings.py"';

function wireNetworkFiles(): RecipeFile[] {
  return NODES.map((node) => ({
    path: `etc/systemd/network/20-wire-${node.name}.network`,
    content: `[Match]\nMACAddress=${node.wireMac}\n[Network]\nAddress=${node.wireAddress}/${WIRE_PREFIX_LENGTH}\n`,
    mode: 0o644,
  }));
}

/** Debian's suite for each test-bed distribution: the one thing that differs between their images. */
export const SUITES: Readonly<Record<TestbedDistro, string>> = { debian12: "bookworm", debian13: "trixie" };

/**
 * The guest image of `distro`: the same recipe in its suite, plus trixie's fence_sbd, which
 * bookworm has in fence-agents and trixie splits into fence-agents-sbd (the guests reach no
 * mirror, so what apply installs must be in the image).
 */
export function imageRecipe(distro: TestbedDistro): ImageRecipe {
  const packages = distro === "debian13" ? [...BASE_RECIPE.packages, "fence-agents-sbd"] : BASE_RECIPE.packages;
  return { ...BASE_RECIPE, suite: SUITES[distro], packages };
}

const BASE_RECIPE: Omit<ImageRecipe, "suite"> = {
  rootSize: "3G",
  packages: [
    "linux-image-amd64", "systemd-sysv", "udev", "dbus", "kmod", "openssh-server", "sudo", "iproute2",
    "iputils-ping", "procps", "less", "psmisc",
    // Not essential in bookworm, but on every real server; the e2e puts an ext4 where DRBD is meant to go.
    "e2fsprogs",
    "corosync", "pacemaker", "pcs", "dlm-controld", "lvm2", "lvm2-lockd", "drbd-utils", "gfs2-utils",
    "fence-agents", "sbd", "resource-agents", "libxml2-utils", "sg3-utils", "python3",
    // What `gfsdeploy bench` runs; the VMs have no route to a mirror, so apply finds them installed.
    "fio", "iperf3", "ctdb",
    // Only a Recommends of pacemaker, but without crm_mon `pcs status` and `pcs cluster start --wait` fail.
    "pacemaker-cli-utils",
  ],
  aptOptions: ['Apt::Install-Recommends "false"'],
  dpkgOptions: [
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/locale/*",
  ],
  directories: [
    { path: "root", mode: 0o700 },
    { path: "root/.ssh", mode: 0o700 },
  ],
  files: [
    { path: "etc/fstab", content: "/dev/vda / ext4 defaults,noatime 0 1\n", mode: 0o644 },
    // The real name comes from the kernel command line (systemd.hostname=nodeN).
    { path: "etc/hostname", content: "debian\n", mode: 0o644 },
    {
      path: "etc/hosts",
      content: `127.0.0.1 localhost\n${NODES.map((n) => `${n.wireAddress} ${n.name}\n`).join("")}`,
      mode: 0o644,
    },
    // Matched by MAC so one image serves both VMs.
    {
      path: "etc/systemd/network/10-mgmt.network",
      content: `[Match]\nMACAddress=${NODES.map((n) => n.mgmtMac).join(" ")}\n[Network]\nDHCP=ipv4\n`,
      mode: 0o644,
    },
    ...wireNetworkFiles(),
    // One host key, made at build time: generating keys at first boot takes about a minute under TCG.
    { path: "etc/ssh/sshd_config.d/hostkey.conf", content: "HostKey /etc/ssh/ssh_host_ed25519_key\n", mode: 0o644 },
    { path: "etc/ssh/sshd_config.d/local.conf", content: "UseDNS no\n", mode: 0o644 },
    // Under TCG pcsd needs more than systemd's default 90 s to start.
    {
      path: "etc/systemd/system.conf.d/slow-tcg.conf",
      content: "[Manager]\nDefaultTimeoutStartSec=900\n",
      mode: 0o644,
    },
    // q35 also has an iTCO watchdog that QEMU does not reset on; sbd must get the i6300esb as watchdog0.
    { path: "etc/modprobe.d/no-itco.conf", content: "blacklist iTCO_wdt\n", mode: 0o644 },
  ],
  customize: [
    'chroot "$1" systemctl enable systemd-networkd',
    'chroot "$1" systemctl mask systemd-networkd-wait-online.service',
    // Enabled by the package but without a device it blocks corosync and pacemaker from starting;
    // the tool under test enables it once the SBD disk is set up.
    'chroot "$1" systemctl disable sbd.service sbd_remote.service',
    // Only its ping_pong is wanted; the daemon would try to run a CTDB cluster.
    'chroot "$1" systemctl disable ctdb.service',
    'rm -f "$1"/etc/ssh/ssh_host_rsa_key* "$1"/etc/ssh/ssh_host_ecdsa_key*',
    // `pcs cluster setup` takes more than pcs's 60 s request timeout under TCG and has no flag to raise it.
    `sed -i "s/^default_request_timeout = 60$/default_request_timeout = 900/" ${PCS_SETTINGS}` +
      ` && grep -q "^default_request_timeout = 900$" ${PCS_SETTINGS}`,
    // Empty, so each VM makes its own on first boot.
    ': > "$1/etc/machine-id"; rm -f "$1/var/lib/dbus/machine-id"',
    'chroot "$1" apt-get clean; rm -rf "$1"/var/lib/apt/lists/*',
  ],
};

export function recipeHash(recipe: ImageRecipe): string {
  return createHash("sha256").update(JSON.stringify(recipe)).digest("hex");
}

export interface DebianMirrors {
  /** Serves the release and its -updates suite. */
  main: string;
  security: string;
}

/**
 * The mirrors the host's apt already uses, from deb822 `debian.sources`: the image is
 * fetched from where this machine is allowed to fetch packages, never from a fixed host.
 */
export function parseDebianSources(text: string): DebianMirrors {
  let main: string | undefined;
  let security: string | undefined;
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split("\n")) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined) fields.set(match[1].toLowerCase(), match[2].trim());
    }
    const types = (fields.get("types") ?? "").split(/\s+/);
    const uri = (fields.get("uris") ?? "").split(/\s+/)[0];
    if (!types.includes("deb") || !uri || fields.get("enabled") === "no") continue;
    for (const suite of (fields.get("suites") ?? "").split(/\s+/)) {
      if (suite.endsWith("-security")) security ??= uri;
      else if (suite) main ??= uri;
    }
  }
  if (main === undefined || security === undefined) {
    throw new TestbedError(
      `the host's apt sources name no ${main === undefined ? "main" : "security"} Debian mirror`,
      "the image is fetched from the mirrors in /etc/apt/sources.list.d/debian.sources; add deb stanzas for the release and its -security suite there",
    );
  }
  return { main, security };
}

export interface MmdebstrapTargets {
  mirrors: DebianMirrors;
  /** Directory whose contents are copied over the guest's root: the recipe's files plus the keys. */
  stageDir: string;
  rootfs: string;
}

export function mmdebstrapArgs(recipe: ImageRecipe, targets: MmdebstrapTargets): string[] {
  const { mirrors, stageDir, rootfs } = targets;
  return [
    "--mode=root",
    "--variant=apt",
    ...recipe.aptOptions.map((option) => `--aptopt=${option}`),
    ...recipe.dpkgOptions.map((option) => `--dpkgopt=${option}`),
    `--include=${recipe.packages.join(",")}`,
    `--customize-hook=sync-in ${stageDir} /`,
    ...recipe.customize.map((hook) => `--customize-hook=${hook}`),
    recipe.suite,
    rootfs,
    `deb ${mirrors.main} ${recipe.suite} main`,
    `deb ${mirrors.main} ${recipe.suite}-updates main`,
    `deb ${mirrors.security} ${recipe.suite}-security main`,
  ];
}
