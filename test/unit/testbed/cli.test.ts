import { describe, expect, it } from "vitest";
import { formatStatusTable, testbedCommand } from "../../../src/cli/testbed.js";
import { UsageError } from "../../../src/errors.js";
import { parseNodeName } from "../../../src/testbed/nodes.js";

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
  it("has the up, down, status, ssh and build-image subcommands", () => {
    expect(testbedCommand().commands.map((c) => c.name())).toEqual(["up", "down", "status", "ssh", "build-image"]);
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
