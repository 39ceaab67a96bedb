import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

import { runCli } from "../../support/cli.js";
import { needs } from "../../support/needs.js";
import { imageRecipe } from "../../../src/testbed/recipe.js";

/**
 * The Vagrant layout (vagrant/) and its inventories (inventories/vagrant/): the specs pass
 * gfsdeploy's own validation, the Vagrantfile passes `vagrant validate` where Vagrant is
 * installed, and the two agree on what one of them could change without the other noticing:
 * node names, wire addresses, disk serials, the files gfsdeploy logs in with.
 */

const root = fileURLToPath(new URL("../../../", import.meta.url));
const vagrantDir = join(root, "vagrant");
const SPECS = {
  libvirt: "inventories/vagrant/cluster.yaml",
  virtualbox: "inventories/vagrant/cluster.virtualbox.yaml",
} as const;

const cli = runCli;

interface NodeEntry {
  name: string;
  host: string;
  ring0: string;
}
interface Inventory {
  cluster: { name: string };
  ssh: { user: string; identityFile: string; knownHosts: string };
  nodes: NodeEntry[];
  secrets: { haclusterPassword: { file: string }; authkey: { file: string } };
  stonith: { sbd: { devices: string[]; watchdog: string } };
  drbd: { resources: { disk: string }[] };
}

async function inventory(spec: string): Promise<Inventory> {
  return parse(await readFile(join(root, spec), "utf8")) as Inventory;
}

/** A Ruby string constant from the Vagrantfile, `NAME = "value"`. */
function constant(vagrantfile: string, name: string): string {
  const value = new RegExp(`^${name} = "([^"]*)"`, "m").exec(vagrantfile)?.[1];
  if (value === undefined) throw new Error(`the Vagrantfile has no ${name} = "..."`);
  return value;
}

function vagrantNodes(vagrantfile: string): { name: string; ip: string }[] {
  return [...vagrantfile.matchAll(/\{ name: "([^"]+)", wire_ip: "([^"]+)" \}/g)].map((m) => ({ name: m[1] ?? "", ip: m[2] ?? "" }));
}

let vagrantfile = "";
beforeAll(async () => {
  vagrantfile = await readFile(join(vagrantDir, "Vagrantfile"), "utf8");
});

describe("the Vagrant inventories", () => {
  it.each(Object.entries(SPECS))("%s: gfsdeploy validate --no-secrets exits 0", async (_provider, spec) => {
    const r = await cli("validate", "--no-secrets", spec);
    expect(r, r.err).toMatchObject({ code: 0, err: "" });
    expect(r.out).toMatch(/valid \(2 nodes, \d+ steps\)/);
  });

  it.each(Object.entries(SPECS))("%s: plan --offline compiles the whole stack", async (_provider, spec) => {
    const r = await cli("plan", "--offline", spec);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/cluster\/wait\/filesystems\s+GFS2 mounted on every node/);
  });
});

describe("the Vagrantfile and the inventories agree", () => {
  it("on node names and cluster-wire addresses, which are also the SSH addresses", async () => {
    const nodes = vagrantNodes(vagrantfile);
    expect(nodes).toEqual([
      { name: "node1", ip: "10.0.0.1" },
      { name: "node2", ip: "10.0.0.2" },
    ]);
    for (const spec of Object.values(SPECS)) {
      const inv = await inventory(spec);
      expect(inv.nodes.map((n) => ({ name: n.name, ip: n.ring0 })), spec).toEqual(nodes);
      expect(inv.nodes.map((n) => n.host), spec).toEqual(nodes.map((n) => n.ip));
    }
    // The host's own address on that network is in it, and is no node's.
    const hostIp = constant(vagrantfile, "HOST_WIRE_IP");
    expect(constant(vagrantfile, "WIRE_NETMASK")).toBe("255.255.255.0");
    expect(hostIp.split(".").slice(0, 3)).toEqual(["10", "0", "0"]);
    expect(nodes.map((n) => n.ip)).not.toContain(hostIp);
  });

  it("on the disks' serial numbers, as each provider shows them under /dev/disk/by-id", async () => {
    const drbd = constant(vagrantfile, "DRBD_SERIAL");
    const sbd = constant(vagrantfile, "SBD_SERIAL");
    // libvirt: virtio-blk serials; the SBD volume shared, raw, uncached.
    expect(vagrantfile).toMatch(/lv\.storage :file, size: "#\{DRBD_DISK_SIZE_GB\}G", bus: "virtio", serial: DRBD_SERIAL/);
    expect(vagrantfile).toMatch(/lv\.storage :file, path: LIBVIRT_SBD_VOLUME,[^\n]*\n\s+allow_existing: true, shareable: true, type: "raw", cache: "none", serial: SBD_SERIAL/);
    const libvirt = await inventory(SPECS.libvirt);
    expect(libvirt.drbd.resources.map((r) => r.disk)).toEqual([`/dev/disk/by-id/virtio-${drbd}`]);
    expect(libvirt.stonith.sbd.devices).toEqual([`/dev/disk/by-id/virtio-${sbd}`]);
    // VirtualBox: SATA serials set per port, DRBD on 1 (Vagrant's disk), SBD on 2 (shareable).
    expect(vagrantfile).toMatch(/\{ 1 => DRBD_SERIAL, 2 => SBD_SERIAL \}/);
    expect(vagrantfile).toMatch(/"storageattach", :id, "--storagectl", storagectl, "--port", "2",[^\n]*\n[^\n]*"--mtype", "shareable"/);
    const virtualbox = await inventory(SPECS.virtualbox);
    expect(virtualbox.drbd.resources.map((r) => r.disk)).toEqual([`/dev/disk/by-id/ata-VBOX_HARDDISK_${drbd}`]);
    expect(virtualbox.stonith.sbd.devices).toEqual([`/dev/disk/by-id/ata-VBOX_HARDDISK_${sbd}`]);
  });

  it("on the watchdog: an i6300esb under libvirt, and watchdog0 in both inventories", async () => {
    expect(vagrantfile).toMatch(/lv\.watchdog model: "i6300esb", action: "reset"/);
    for (const spec of Object.values(SPECS)) expect((await inventory(spec)).stonith.sbd.watchdog, spec).toBe("/dev/watchdog0");
  });

  it("on the files gfsdeploy logs in with, which the Vagrantfile makes in vagrant/.gfsdeploy", async () => {
    expect(vagrantfile).toMatch(/^STATE_DIR = File\.join\(__dir__, "\.gfsdeploy"\)$/m);
    expect(vagrantfile).toMatch(/^IDENTITY = File\.join\(STATE_DIR, "id_ed25519"\)$/m);
    expect(vagrantfile).toMatch(/^KNOWN_HOSTS = File\.join\(STATE_DIR, "known_hosts"\)$/m);
    expect(vagrantfile).toMatch(/password = File\.join\(STATE_DIR, "hacluster-password"\)/);
    const state = join(vagrantDir, ".gfsdeploy");
    for (const spec of Object.values(SPECS)) {
      const inv = await inventory(spec);
      const specDir = resolve(root, spec, "..");
      expect(inv.ssh.user).toBe("root");
      expect(resolve(specDir, inv.ssh.identityFile)).toBe(join(state, "id_ed25519"));
      expect(resolve(specDir, inv.ssh.knownHosts)).toBe(join(state, "known_hosts"));
      expect(resolve(specDir, inv.secrets.haclusterPassword.file)).toBe(join(state, "hacluster-password"));
      expect(resolve(specDir, inv.secrets.authkey.file)).toBe(join(state, "authkey"));
    }
    expect(await readFile(join(vagrantDir, ".gitignore"), "utf8")).toMatch(/^\.gfsdeploy\/$/m);
  });

  it("and vagrant/e2e.sh checks the same nodes and cluster", async () => {
    const script = await readFile(join(vagrantDir, "e2e.sh"), "utf8");
    const inv = await inventory(SPECS.libvirt);
    expect(script).toContain(`declare -A wire=(${inv.nodes.map((n) => `[${n.name}]=${n.ring0}`).join(" ")})`);
    expect(script).toMatch(new RegExp(`^cluster=${inv.cluster.name}$`, "m"));
  });
});

describe("provision.sh", () => {
  // What any Debian box already has; the QEMU test bed's image starts from nothing.
  const BOX_HAS = new Set(["linux-image-amd64", "systemd-sysv", "udev", "dbus", "kmod", "openssh-server", "sudo", "iproute2", "iputils-ping", "procps", "less", "e2fsprogs"]);

  it("installs every package the test bed's image has beyond a bare Debian box", async () => {
    const script = await readFile(join(vagrantDir, "provision.sh"), "utf8");
    const list = /^packages=\(\n([\s\S]*?)\n\)$/m.exec(script)?.[1];
    expect(list, "provision.sh has a packages=( ... ) list").toBeDefined();
    const packages = new Set((list ?? "").split(/\s+/).filter(Boolean));
    expect(imageRecipe("debian12").packages.filter((p) => !BOX_HAS.has(p) && !packages.has(p))).toEqual([]);
    expect(script).toMatch(/apt-get [^\n]*install -y -q --no-install-recommends "\$\{packages\[@\]\}"/);
  });
});

describe("vagrant validate", () => {
  let work = "";
  let env: Record<string, string> = {};
  /** `vagrant plugin list`, or undefined when vagrant is not installed. */
  let plugins: string | undefined;

  beforeAll(async () => {
    // A copy, so the key and password the Vagrantfile makes when loaded, Vagrant's .vagrant/
    // and its home stay out of the working tree and the user's ~/.vagrant.d.
    work = await mkdtemp(join(tmpdir(), "gfsdeploy-vagrant-"));
    for (const file of ["Vagrantfile", "provision.sh"]) await copyFile(join(vagrantDir, file), join(work, file));
    // No checkpoint: Vagrant would otherwise ask HashiCorp for its latest version.
    env = { VAGRANT_CWD: work, VAGRANT_HOME: join(work, "home"), VAGRANT_CHECKPOINT_DISABLE: "1", VAGRANT_BOX_UPDATE_CHECK_DISABLE: "1" };
    const r = await execa("vagrant", ["plugin", "list"], { cwd: work, env, reject: false });
    plugins = r.exitCode === 0 ? r.stdout : undefined;
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const validate = (extraEnv: Record<string, string>, ...args: string[]) =>
    execa("vagrant", ["validate", ...args], { cwd: work, env: { ...env, ...extraEnv }, extendEnv: true, reject: false, all: true });

  it("passes for the libvirt provider, its options included", { timeout: 120_000 }, async (ctx) => {
    needs(ctx, plugins !== undefined, "vagrant", "`.ci/install-deps` installs it (Debian package vagrant)");
    needs(ctx, /^vagrant-libvirt\b/m.test(plugins ?? ""), "the vagrant-libvirt plugin", "`.ci/install-deps` installs it (Debian package vagrant-libvirt)");
    const r = await validate({ VAGRANT_DEFAULT_PROVIDER: "libvirt" });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/Vagrantfile validated successfully/);
    // The Vagrantfile made the files the inventories point at, in its own directory.
    expect(await readFile(join(work, ".gfsdeploy", "id_ed25519.pub"), "utf8")).toMatch(/^ssh-ed25519 \S+ gfsdeploy-vagrant\n$/);
    expect((await readFile(join(work, ".gfsdeploy", "hacluster-password"), "utf8")).trim()).toMatch(/^[0-9a-f]{48}$/);
  });

  it("passes for VirtualBox with the disks feature on, and never silently drops the DRBD disk", { timeout: 120_000 }, async (ctx) => {
    needs(ctx, plugins !== undefined, "vagrant", "`.ci/install-deps` installs it (Debian package vagrant)");
    // VirtualBox itself is not installed here: --ignore-provider skips only the checks that
    // need it; the provider block and its override still run.
    const on = await validate({ VAGRANT_DEFAULT_PROVIDER: "virtualbox", VAGRANT_EXPERIMENTAL: "disks" }, "--ignore-provider");
    expect(on.exitCode, on.all).toBe(0);
    // Where the feature is experimental, leaving it off must be refused, not ignored.
    const off = await validate({ VAGRANT_DEFAULT_PROVIDER: "virtualbox", VAGRANT_EXPERIMENTAL: "" }, "--ignore-provider");
    if (off.exitCode !== 0) expect(off.all).toMatch(/makes the DRBD disk only with VAGRANT_EXPERIMENTAL=disks set/);
  });
});
