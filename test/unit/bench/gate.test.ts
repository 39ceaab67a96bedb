/**
 * The bench's health gate reads each node through the probes, in one batch with the stack's
 * versions, and refuses by the health rule status and fence-test use (its cases are in
 * test/unit/health/problems.test.ts); here: what it reads, returns and says.
 */
import { describe, expect, it } from "vitest";

import { healthGate, type BenchOptions } from "../../../src/bench/run.js";
import { UnhealthyError } from "../../../src/errors.js";
import type { ConcreteSpec, NodeSpec } from "../../../src/spec/types.js";
import { exitWith, ok, type FakeTransport } from "../../../src/transport/fake.js";
import type { Transport } from "../../../src/transport/types.js";
import { testbedSpec } from "../../support/testbed-spec.js";
import { HEALTHY, healthyNode } from "../health/healthy-node.js";

// testbedSpec() has resolved `distro: auto` to debian12.
const spec = testbedSpec() as ConcreteSpec;
const [nodeA, nodeB] = spec.nodes as [NodeSpec, NodeSpec];

function options(transports: ReadonlyMap<string, Transport>, unreachable: ReadonlyMap<string, string> = new Map()): BenchOptions {
  return { spec, fs: spec.filesystems[0] as ConcreteSpec["filesystems"][number], nodes: [nodeA, nodeB], transports, unreachable, scripts: {}, seconds: 5, runId: "0123456789ab", now: () => new Date(0) };
}

/**
 * A healthy test bed node that also prints its versions: the test bed's first lines, under
 * what the same Debian 12 packages print after them.
 */
function node(name: string, missing: readonly string[] = []): FakeTransport {
  return healthyNode(name, missing)
    .on(["uname", "-r"], ok("6.1.0-56-amd64\n"))
    .setFile("/proc/drbd", "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 211FB288A383ED945B83420\n 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C r-----\n")
    .on(["drbdadm", "--version"], ok("DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe02187f83790b88ac3e0d94f3c167adab\nDRBDADM_API_VERSION=1\n"))
    .on(["mkfs.gfs2", "-V"], ok("mkfs.gfs2 3.5.0\nCopyright (C) Red Hat, Inc.  2004-2023  All rights reserved.\n"))
    .on(["pacemakerd", "--version"], ok("Pacemaker 2.1.5\nWritten by Andrew Beekhof and the Pacemaker project contributors\n"))
    .on(["corosync", "-v"], ok("Corosync Cluster Engine, version '3.1.7'\nCopyright (c) 2006-2021 Red Hat, Inc.\n"));
}

const TESTBED_VERSIONS = { kernel: "6.1.0-56-amd64", drbd: "version: 8.4.11 (api:1/proto:86-101)", gfs2Utils: "mkfs.gfs2 3.5.0", pacemaker: "Pacemaker 2.1.5", corosync: "Corosync Cluster Engine, version '3.1.7'" };

describe("bench health gate", () => {
  it("passes the converged test bed and returns each node's versions, read in that node's one batch", async () => {
    const transports = new Map([node("node1"), node("node2")].map((t) => [t.host, t]));
    expect(await healthGate(options(transports))).toEqual({ node1: TESTBED_VERSIONS, node2: TESTBED_VERSIONS });
    for (const t of transports.values()) expect(t.calls.filter((c) => c.kind === "batch")).toHaveLength(1);
  });

  it("reads drbdadm's version when no DRBD module is loaded, and says unknown for a tool that does not answer", async () => {
    const t = node("node1").on(["pacemakerd", "--version"], exitWith(127, "sh: pacemakerd: not found\n"));
    t.files.delete("/proc/drbd");
    const versions = await healthGate(options(new Map([["node1", t], ["node2", node("node2")]])));
    expect(versions.node1).toEqual({ ...TESTBED_VERSIONS, drbd: "DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe02187f83790b88ac3e0d94f3c167adab", pacemaker: "unknown" });
  });

  it("refuses with every problem, worst first per node, an unreachable node by its first line of why", async () => {
    // GIVEN node2 down: node1 sees it offline, its DRBD peer gone and the lockspace without it; fio was never installed
    const node1 = node("node1", ["fio"])
      .on(["crm_mon", "-1", "--output-as=xml"], ok(HEALTHY.crmMon.replace('<node name="node2" id="2" online="true"', '<node name="node2" id="2" online="false"')))
      .on(["drbdadm", "role", "r0"], ok("Primary/Unknown\n"))
      .on(["drbdadm", "dstate", "r0"], ok("UpToDate/DUnknown\n"))
      .on(["drbdadm", "cstate", "r0"], ok("WFConnection\n"))
      .on(["dlm_tool", "ls"], ok(HEALTHY.dlm.replaceAll(/^members[ \t]+1 2[ \t]*$/gm, "members       1 ")));
    const gate = healthGate(options(new Map([["node1", node1]]), new Map([["node2", "connect ECONNREFUSED 127.0.0.1:2202\n    at TCPConnectWrap.afterConnect"]])));
    await expect(gate).rejects.toThrow(UnhealthyError);
    await expect(gate).rejects.toThrow(
      [
        "the cluster is not healthy enough to benchmark:",
        "  node1: sees node2 offline",
        "  node1: DRBD r0 is WFConnection, not Connected",
        "  node1: DRBD r0 disks are UpToDate/DUnknown, not UpToDate/UpToDate",
        "  node1: DLM lockspace data has 1 member(s), not 2",
        "  node1: fio not installed (set bench.enabled: true in the spec and run apply)",
        "  node2: unreachable over SSH (connect ECONNREFUSED 127.0.0.1:2202)",
      ].join("\n"),
    );
  });
});
