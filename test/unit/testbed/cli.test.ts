import { CommanderError } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatStatusTable, testbedCommand } from "../../../src/cli/testbed.js";
import { ConnectionError, UsageError } from "../../../src/errors.js";
import { parseNodeName } from "../../../src/testbed/nodes.js";
import { cachePaths } from "../../../src/testbed/paths.js";
import { scratchDir } from "../../support/scratch.js";

describe("testbed status table", () => {
  it("lines up one row per node", () => {
    const table = formatStatusTable([
      { node: "node1", running: true, pid: 4242, sshPort: 2201, sshReachable: true },
      { node: "node2", running: false, pid: undefined, sshPort: 2202, sshReachable: false },
    ]);
    expect(table).toBe(
      ["NODE   RUNNING  PID   SSH PORT  SSH", "node1  yes      4242  2201      ok", "node2  no       -     2202      -"].join("\n"),
    );
  });
});

describe("testbed command", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("has the up, down, status, ssh and build-image subcommands", () => {
    expect(testbedCommand().commands.map((c) => c.name())).toEqual(["up", "down", "status", "ssh", "build-image"]);
  });

  it("throws a usage error to the CLI's boundary instead of exiting the process", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await expect(testbedCommand().parseAsync(["up", "--bogus"], { from: "user" })).rejects.toThrow(CommanderError);
  });

  it("passes the words after -- to ssh, options included, and refuses a VM that is not running", async () => {
    // GIVEN an empty cache: no VM runs, so nothing is contacted
    vi.stubEnv("GFSDEPLOY_CACHE", scratchDir("cli-test"));
    // WHEN / THEN the remote command's own options are not taken for ours
    await expect(testbedCommand().parseAsync(["ssh", "node1", "--", "ls", "-la"], { from: "user" })).rejects.toThrow(
      new ConnectionError("node1 is not running", "start the test bed with `gfsdeploy testbed up`"),
    );
  });
});

describe("the test bed's distributions", () => {
  it("keep an image each, and share the keys, known_hosts and the running VMs' directory", () => {
    const [bookworm, trixie] = (["debian12", "debian13"] as const).map((d) => cachePaths({ GFSDEPLOY_CACHE: "/c" }, d));
    expect([bookworm?.baseImage, trixie?.baseImage, trixie?.kernel, trixie?.stamp]).toEqual([
      "/c/testbed/images/debian12/base.qcow2",
      "/c/testbed/images/debian13/base.qcow2",
      "/c/testbed/images/debian13/vmlinuz",
      "/c/testbed/images/debian13/stamp",
    ]);
    for (const key of ["clientKey", "guestHostKey", "knownHosts", "runDir", "sbdDisk"] as const) expect(trixie?.[key]).toBe(bookworm?.[key]);
  });

  it("`testbed up --distro` refuses a distribution it cannot build, before anything runs", async () => {
    await expect(testbedCommand().parseAsync(["up", "--distro", "debian11"], { from: "user" })).rejects.toThrow(
      new UsageError("--distro debian11 is not a test-bed distribution", "use one of: debian12, debian13"),
    );
  });
});

describe("parseNodeName", () => {
  it("accepts node names and bare indexes", () => {
    expect(parseNodeName("node2")).toBe("node2");
    expect(parseNodeName("1")).toBe("node1");
  });

  it("rejects anything else with a usage error", () => {
    expect(() => parseNodeName("node3")).toThrow(UsageError);
  });
});
