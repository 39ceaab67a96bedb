/**
 * Runs the two test-bed VMs: start them (reusing ones already up), wait until ssh answers,
 * report their state, stop them, and talk to QEMU over QMP for fault tests such as
 * `system_reset`. VMs are found through their pid files, checked against /proc so a
 * recycled pid is never mistaken for a VM.
 */

import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { execa } from "execa";
import { tail } from "../errors.js";
import { detectAccel } from "./accel.js";
import type { Accel } from "./accel.js";
import { TestbedError } from "./errors.js";
import { runLocal } from "./exec.js";
import { ensureImage, imageState } from "./image.js";
import type { BuildTimings } from "./image.js";
import { secondsSince, stderrLog } from "./log.js";
import type { Log } from "./log.js";
import { NODES, testbedNode } from "./nodes.js";
import type { NodeName } from "./nodes.js";
import { cachePaths, nodeRunPaths, pathExists } from "./paths.js";
import type { CachePaths } from "./paths.js";
import { DRBD_DISK_SIZE, OVERLAY_SIZE, SBD_DISK_BYTES, qemuArgs } from "./qemu.js";
import { qmpExecute } from "./qmp.js";
import { sshArgsFor } from "./ssh.js";

export interface NodeStatus {
  node: NodeName;
  running: boolean;
  pid: number | undefined;
  sshPort: number;
  sshReachable: boolean;
}

export interface NodeUp {
  node: NodeName;
  pid: number;
  /** The VM was already running before this `up`. */
  reused: boolean;
  /** From this VM's start (or from `up` for a reused one) until ssh answered. */
  readySec: number;
}

export interface UpOptions {
  /** Throw away the VMs' disks (root overlay, DRBD and SBD disks) and boot from the clean image. */
  fresh?: boolean;
  rebuildImage?: boolean;
  readyTimeoutMs?: number;
  paths?: CachePaths;
  log?: Log;
}

export interface DownOptions {
  paths?: CachePaths;
  log?: Log;
}

/** Boot to ssh takes about 2.5 minutes under TCG on a 2-core host; this leaves ample room. */
const READY_TIMEOUT_MS = 10 * 60_000;
const SSH_POLL_INTERVAL_MS = 1_000;
const EXIT_POLL_INTERVAL_MS = 100;
const QUIT_GRACE_MS = 15_000;
const SIGNAL_GRACE_MS = 5_000;

/** The pid of this node's QEMU, if it runs: its command line must name this cache's QMP socket. */
export async function runningPid(paths: CachePaths, node: NodeName): Promise<number | undefined> {
  const run = nodeRunPaths(paths, node);
  const pid = Number.parseInt(await readFile(run.pidFile, "utf8").catch(() => ""), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.includes(run.qmpSocket) ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // It exited between the check and the signal: the outcome we wanted.
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(EXIT_POLL_INTERVAL_MS);
  }
  return true;
}

export function sshArgs(node: NodeName, command: readonly string[] = [], paths: CachePaths = cachePaths()): string[] {
  return sshArgsFor(
    { port: testbedNode(node).sshPort, clientKey: paths.clientKey, knownHosts: paths.knownHosts },
    { command },
  );
}

interface SshProbe {
  ok: boolean;
  stderr: string;
}

async function probeSsh(paths: CachePaths, node: NodeName, connectTimeoutSec: number): Promise<SshProbe> {
  const args = sshArgsFor(
    { port: testbedNode(node).sshPort, clientKey: paths.clientKey, knownHosts: paths.knownHosts },
    { command: ["true"], connectTimeoutSec },
  );
  const result = await execa("ssh", args, { reject: false, stdin: "ignore", timeout: (connectTimeoutSec + 20) * 1000 });
  return { ok: result.exitCode === 0, stderr: result.stderr };
}

/** ssh failures that waiting cannot fix: the guest answers but is not the image we built. */
const FATAL_SSH_ERRORS = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|Permission denied/;

/** Console output of the guest's current boot: the file keeps earlier boots after a reset. */
async function currentBootConsole(paths: CachePaths, node: NodeName): Promise<string> {
  const text = await readFile(nodeRunPaths(paths, node).console, "utf8").catch(() => "");
  return text.slice(Math.max(0, text.lastIndexOf("Linux version")));
}

/** Once one of these is on the console the guest will not reach ssh, however long we wait. */
const FATAL_BOOT_MESSAGES = /Kernel panic - not syncing|No init found|^\(initramfs\)/m;

async function waitForSsh(paths: CachePaths, node: NodeName, pid: number, deadline: number): Promise<void> {
  const consoleFile = nodeRunPaths(paths, node).console;
  for (;;) {
    const probe = await probeSsh(paths, node, 5);
    if (probe.ok) return;
    const bootConsole = await currentBootConsole(paths, node);
    if (FATAL_BOOT_MESSAGES.test(bootConsole)) {
      throw new TestbedError(
        `${node}: the guest failed to boot; console tail:\n${tail(bootConsole, 15)}`,
        `see ${consoleFile}; a corrupt root overlay is fixed by \`gfsdeploy testbed up --fresh\``,
      );
    }
    if (FATAL_SSH_ERRORS.test(probe.stderr)) {
      throw new TestbedError(
        `${node}: ssh answers but refuses us: ${probe.stderr.trim()}`,
        "the VM disks belong to another image or key: run `gfsdeploy testbed up --fresh` (or `--rebuild-image`)",
      );
    }
    if (!alive(pid)) {
      throw new TestbedError(`${node}: QEMU exited while booting; console tail:\n${tail(bootConsole, 15)}`, `see ${consoleFile}`);
    }
    if (Date.now() >= deadline) {
      throw new TestbedError(
        `${node}: ssh did not answer on 127.0.0.1:${testbedNode(node).sshPort} in time (last: ${probe.stderr.trim() || "no error text"}); console tail:\n${tail(bootConsole, 15)}`,
        `see ${consoleFile}; the guest may still be booting: try \`gfsdeploy testbed up\` again`,
      );
    }
    await delay(SSH_POLL_INTERVAL_MS);
  }
}

/**
 * Identifies one build of base.qcow2. Not the recipe hash: a rebuild from the same recipe
 * is a different file, and an overlay on the wrong base reads as a corrupt filesystem.
 * Each build is renamed into place, so it gets a new inode and mtime.
 */
async function baseImageIdentity(paths: CachePaths): Promise<string> {
  const { ino, size, mtimeMs } = await stat(paths.baseImage);
  return `${ino} ${size} ${mtimeMs}\n`;
}

async function removeDisks(paths: CachePaths): Promise<void> {
  for (const node of NODES) {
    const run = nodeRunPaths(paths, node.name);
    await rm(run.overlay, { force: true });
    await rm(run.drbdDisk, { force: true });
  }
  await rm(paths.sbdDisk, { force: true });
  await rm(paths.disksBase, { force: true });
}

async function createMissingDisks(paths: CachePaths, node: NodeName): Promise<void> {
  const run = nodeRunPaths(paths, node);
  const hint = "qemu-img comes with qemu-utils; is there free disk space in the cache?";
  if (!(await pathExists(run.overlay))) {
    await runLocal("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", paths.baseImage, run.overlay, OVERLAY_SIZE], hint);
  }
  if (!(await pathExists(run.drbdDisk))) {
    await runLocal("qemu-img", ["create", "-q", "-f", "qcow2", run.drbdDisk, DRBD_DISK_SIZE], hint);
  }
  // Opened for append, never truncated: it is shared with the other VM, which may be running.
  const sbd = await open(paths.sbdDisk, "a");
  try {
    if ((await sbd.stat()).size === 0) await sbd.truncate(SBD_DISK_BYTES);
  } finally {
    await sbd.close();
  }
}

async function startVm(paths: CachePaths, node: NodeName, accel: Accel): Promise<number> {
  const run = nodeRunPaths(paths, node);
  await createMissingDisks(paths, node);
  await rm(run.pidFile, { force: true });
  await rm(run.qmpSocket, { force: true });
  const self = testbedNode(node);
  await runLocal(
    "qemu-system-x86_64",
    qemuArgs({ node, accel, paths, run }),
    `is 127.0.0.1:${self.sshPort} (tcp) or 127.0.0.1:${self.wirePort} (udp) taken by another program (ss -lntup)? Is qemu-system-x86 installed?`,
  );
  const pid = await runningPid(paths, node);
  if (pid === undefined) {
    throw new TestbedError(`${node}: QEMU daemonized but ${run.pidFile} names no running QEMU`, `see ${run.console}`);
  }
  return pid;
}

export async function anyRunning(paths: CachePaths = cachePaths()): Promise<boolean> {
  for (const node of NODES) if ((await runningPid(paths, node.name)) !== undefined) return true;
  return false;
}

/**
 * Builds the image when forced or stale. VMs still running are stopped first: their root
 * disks are overlays on the image about to be replaced.
 */
export async function prepareImage(options: { force?: boolean; paths?: CachePaths; log?: Log } = {}): Promise<BuildTimings | undefined> {
  const { force = false, paths = cachePaths(), log = stderrLog } = options;
  if ((force || !(await imageState({ paths })).current) && (await anyRunning(paths))) {
    log("stopping the running VMs: their image is about to be replaced");
    await down({ paths, log });
  }
  return ensureImage({ force, paths, log });
}

/**
 * The test bed's hacluster password (inventories/testbed/cluster.yaml reads it): random, made
 * once, mode 0600, never printed and never in the repository.
 */
async function ensureHaclusterPassword(paths: CachePaths): Promise<void> {
  const file = join(paths.root, "hacluster-password");
  await writeFile(file, randomBytes(18).toString("base64url") + "\n", { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
}

export async function up(options: UpOptions = {}): Promise<NodeUp[]> {
  const { fresh = false, rebuildImage = false, readyTimeoutMs = READY_TIMEOUT_MS, paths = cachePaths(), log = stderrLog } = options;
  const start = Date.now();
  const { accel, reason } = await detectAccel();
  log(`accel: ${accel} (${reason})`);

  await prepareImage({ force: rebuildImage, paths, log });
  await ensureHaclusterPassword(paths);

  const base = await baseImageIdentity(paths);
  const disksBase = await readFile(paths.disksBase, "utf8").catch(() => undefined);
  if (fresh || disksBase !== base) {
    const why = fresh ? "--fresh" : "they were made on another build of the image";
    if (await anyRunning(paths)) {
      log(`stopping the running VMs: ${why}`);
      await down({ paths, log });
    }
    log(`disks: starting from clean ones (${why})`);
    await removeDisks(paths);
  }
  await mkdir(paths.runDir, { recursive: true });
  await writeFile(paths.disksBase, base);

  const vms: { node: NodeName; pid: number; reused: boolean; since: number }[] = [];
  for (const node of NODES) {
    const pid = await runningPid(paths, node.name);
    if (pid !== undefined) {
      log(`${node.name}: already running (pid ${pid})`);
      vms.push({ node: node.name, pid, reused: true, since: start });
    } else {
      const since = Date.now();
      const newPid = await startVm(paths, node.name, accel);
      log(`${node.name}: started (pid ${newPid}), ssh on 127.0.0.1:${node.sshPort}`);
      vms.push({ node: node.name, pid: newPid, reused: false, since });
    }
  }

  const deadline = Date.now() + readyTimeoutMs;
  return Promise.all(
    vms.map(async ({ since, ...vm }): Promise<NodeUp> => {
      await waitForSsh(paths, vm.node, vm.pid, deadline);
      const readySec = secondsSince(since);
      log(`${vm.node}: ssh ready after ${readySec} s`);
      return { ...vm, readySec };
    }),
  );
}

async function stopVm(paths: CachePaths, node: NodeName, log: Log): Promise<void> {
  const run = nodeRunPaths(paths, node);
  const pid = await runningPid(paths, node);
  if (pid !== undefined) {
    // A clean quit lets QEMU flush the qcow2 metadata; signals are the fallback for a hung QEMU.
    await qmpExecute(run.qmpSocket, "quit", undefined, 5_000).catch(() => undefined);
    let stopped = await waitForExit(pid, QUIT_GRACE_MS);
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      if (stopped) break;
      log(`${node}: still running after quit, sending ${signal}`);
      sendSignal(pid, signal);
      stopped = await waitForExit(pid, SIGNAL_GRACE_MS);
    }
    if (!stopped) throw new TestbedError(`${node}: QEMU (pid ${pid}) survived SIGKILL`, "check the process by hand (ps -o stat= -p PID)");
    log(`${node}: stopped (pid ${pid})`);
  }
  await rm(run.pidFile, { force: true });
  await rm(run.qmpSocket, { force: true });
}

/** Stops both VMs; their disks stay, so the next `up` continues from where they were. */
export async function down(options: DownOptions = {}): Promise<void> {
  const { paths = cachePaths(), log = stderrLog } = options;
  await Promise.all(NODES.map((node) => stopVm(paths, node.name, log)));
}

export async function status(paths: CachePaths = cachePaths()): Promise<NodeStatus[]> {
  return Promise.all(
    NODES.map(async (node): Promise<NodeStatus> => {
      const pid = await runningPid(paths, node.name);
      const sshReachable = pid !== undefined && (await probeSsh(paths, node.name, 3)).ok;
      return { node: node.name, running: pid !== undefined, pid, sshPort: node.sshPort, sshReachable };
    }),
  );
}

/** Runs one QMP command on a running VM, e.g. `qmp("node2", "system_reset")`. */
export async function qmp(
  node: NodeName,
  command: string,
  args?: Record<string, unknown>,
  paths: CachePaths = cachePaths(),
): Promise<unknown> {
  if ((await runningPid(paths, node)) === undefined) {
    throw new TestbedError(`${node} is not running`, "start the test bed with `gfsdeploy testbed up`");
  }
  return qmpExecute(nodeRunPaths(paths, node).qmpSocket, command, args);
}
