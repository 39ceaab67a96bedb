/**
 * The host programs the test bed runs, and the Debian packages that bring them. Each
 * `testbed` subcommand checks its own before doing anything, so a machine without QEMU or
 * mmdebstrap gets the packages to install instead of a spawn error halfway through.
 */

import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { TestbedError } from "./errors.js";

export interface HostTool {
  command: string;
  /** The Debian package that installs it. */
  debianPackage: string;
}

const tool = (command: string, debianPackage: string): HostTool => ({ command, debianPackage });

/** ssh into the guests, and ssh-keygen for the image's and the client's keys. */
export const SSH_TOOLS: readonly HostTool[] = [tool("ssh", "openssh-client"), tool("ssh-keygen", "openssh-client")];

/** Building the image: mmdebstrap makes the root tree, mkfs.ext4 -d and qemu-img the disk. */
export const IMAGE_TOOLS: readonly HostTool[] = [tool("mmdebstrap", "mmdebstrap"), tool("mkfs.ext4", "e2fsprogs"), tool("qemu-img", "qemu-utils"), ...SSH_TOOLS];

/** Booting the VMs, which may first build the image. */
export const VM_TOOLS: readonly HostTool[] = [tool("qemu-system-x86_64", "qemu-system-x86"), ...IMAGE_TOOLS];

async function onPath(command: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory; try the next
    }
  }
  return false;
}

/** The tools of `tools` that no directory of `path` (default: $PATH) has as an executable. */
export async function missingHostTools(tools: readonly HostTool[], path = process.env.PATH ?? ""): Promise<HostTool[]> {
  const missing: HostTool[] = [];
  for (const t of tools) if (!(await onPath(t.command, path))) missing.push(t);
  return missing;
}

/** Throws a TestbedError naming each missing program and the Debian packages to install. */
export async function requireHostTools(tools: readonly HostTool[], path?: string): Promise<void> {
  const missing = await missingHostTools(tools, path);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  throw new TestbedError(
    `the test bed needs ${missing.map((t) => `${t.command} (Debian package ${t.debianPackage})`).join(", ")}, not found on PATH`,
    `install ${packages.length === 1 ? "it" : "them"} with \`apt-get install ${packages.join(" ")}\`, or run \`npm run testbed\`, which installs everything the test bed needs and brings it up`,
  );
}
