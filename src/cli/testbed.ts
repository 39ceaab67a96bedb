/**
 * `gfsdeploy testbed …`: the built-in two-VM QEMU test bed (see src/testbed/). Errors are
 * thrown as GfsError subclasses for the CLI's single boundary to print.
 */

import { Command } from "commander";
import { execa } from "execa";
import { ConnectionError } from "../errors.js";
import { RemoteExitStatus } from "../testbed/errors.js";
import { IMAGE_TOOLS, requireHostTools, SSH_TOOLS, VM_TOOLS } from "../testbed/host-tools.js";
import { parseNodeName, testbedNode } from "../testbed/nodes.js";
import { UsageError } from "../errors.js";
import { cachePaths, DEFAULT_TESTBED_DISTRO, TESTBED_DISTROS, type TestbedDistro } from "../testbed/paths.js";
import { down, prepareImage, runningPid, sshArgs, status, up } from "../testbed/vm.js";
import type { NodeStatus } from "../testbed/vm.js";

/** ssh's own exit code for "could not connect or authenticate", as opposed to the remote command's. */
const SSH_CONNECTION_FAILURE = 255;

export function formatStatusTable(nodes: readonly NodeStatus[]): string {
  const rows = [
    ["NODE", "RUNNING", "PID", "SSH PORT", "SSH"],
    ...nodes.map((n) => [n.node, n.running ? "yes" : "no", n.pid?.toString() ?? "-", String(n.sshPort), n.sshReachable ? "ok" : "-"]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

async function sshInto(nodeText: string, words: readonly string[]): Promise<void> {
  const node = parseNodeName(nodeText);
  await requireHostTools(SSH_TOOLS);
  const paths = cachePaths();
  if ((await runningPid(paths, node)) === undefined) {
    throw new ConnectionError(`${node} is not running`, "start the test bed with `gfsdeploy testbed up`");
  }
  const result = await execa("ssh", sshArgs(node, words, paths), { stdio: "inherit", reject: false });
  if (result.exitCode === SSH_CONNECTION_FAILURE) {
    throw new ConnectionError(
      `ssh to ${node} (127.0.0.1:${testbedNode(node).sshPort}) failed`,
      "the VM may still be booting: `gfsdeploy testbed up` waits until ssh answers",
    );
  }
  if (result.exitCode === undefined) {
    throw new ConnectionError(`ssh to ${node} was killed by ${result.signal ?? "a signal"}`, "run it again");
  }
  if (result.exitCode !== 0) throw new RemoteExitStatus(node, result.exitCode);
}

function testbedDistro(text: string): TestbedDistro {
  const found = TESTBED_DISTROS.find((d) => d === text);
  if (found === undefined) throw new UsageError(`--distro ${text} is not a test-bed distribution`, `use one of: ${TESTBED_DISTROS.join(", ")}`);
  return found;
}

const DISTRO_HELP = `guest distribution: ${TESTBED_DISTROS.join(" or ")} (each has its own cached image)`;

export function testbedCommand(): Command {
  const testbed = new Command("testbed").description(
    "two local QEMU VMs (node1, node2) with a private wire, a DRBD disk each and a shared SBD disk",
  );

  testbed
    .command("up")
    .description("build the image if needed, boot both VMs (or reuse running ones) and wait for ssh")
    .option("--fresh", "discard the VMs' disks and boot from the clean image")
    .option("--rebuild-image", "rebuild the guest image even if the cached one is current")
    .option("--distro <distro>", DISTRO_HELP, DEFAULT_TESTBED_DISTRO)
    .action(async (options: { fresh?: boolean; rebuildImage?: boolean; distro: string }) => {
      const distro = testbedDistro(options.distro);
      await requireHostTools(VM_TOOLS);
      const nodes = await up({ fresh: options.fresh ?? false, rebuildImage: options.rebuildImage ?? false, paths: cachePaths(process.env, distro) });
      for (const node of nodes) {
        process.stdout.write(`${node.node}: ${node.reused ? "already running" : "booted"}, ssh ready after ${node.readySec} s\n`);
      }
    });

  testbed
    .command("down")
    .description("stop both VMs (their disks are kept)")
    .action(async () => {
      await down();
    });

  testbed
    .command("status")
    .description("show whether each VM runs and answers ssh")
    .action(async () => {
      await requireHostTools(SSH_TOOLS);
      process.stdout.write(`${formatStatusTable(await status())}\n`);
    });

  testbed
    .command("ssh")
    .description("ssh into a VM as root; words after -- run as a remote command")
    .argument("<node>", "node1 or node2")
    .argument("[command...]", "remote command, after --")
    .action(async (node: string, words: string[]) => {
      await sshInto(node, words);
    });

  testbed
    .command("build-image")
    .description("build the guest image unless the cached one matches the recipe")
    .option("--force", "rebuild even if the cached image is current")
    .option("--distro <distro>", DISTRO_HELP, DEFAULT_TESTBED_DISTRO)
    .action(async (options: { force?: boolean; distro: string }) => {
      const distro = testbedDistro(options.distro);
      await requireHostTools(IMAGE_TOOLS);
      await prepareImage({ force: options.force ?? false, paths: cachePaths(process.env, distro) });
    });

  // addCommand() does not pass the parent's settings down, and without exitOverride commander
  // itself would call process.exit on a usage error instead of throwing to the CLI's boundary.
  for (const command of [testbed, ...testbed.commands]) command.exitOverride();
  return testbed;
}
