/**
 * What `destroy` refuses before it contacts any node: --wipe without the cluster name typed
 * back, a --confirm naming another cluster, and no confirmation at all off a terminal. Each
 * ends in exit 2 with no connection dialled (every TCP client in Node ends in Socket#connect),
 * so no command can have run on any host.
 */
import { Socket } from "node:net";

import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";

import { runCli } from "../../support/cli.js";

const SPEC = "test/fixtures/specs/debian12-lvmlockd/cluster.yaml";
let dialled: MockInstance;

beforeEach(() => {
  dialled = vi.spyOn(Socket.prototype, "connect");
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("destroy refuses, touching nothing", () => {
  it.each([
    [["--wipe", "--yes"], "error: --wipe destroys the data and needs the cluster name typed back; there is no terminal to ask\nhint: pass --confirm CLUSTERNAME (the spec's cluster.name) with --wipe to confirm from a script; nothing was contacted or changed\n"],
    [["--wipe", "--yes", "--confirm", "gfscluster2"], "error: --confirm 'gfscluster2' is not this spec's cluster name; nothing was contacted or changed\nhint: pass --confirm with the spec's cluster.name, exactly, to destroy that cluster's data\n"],
    [["--wipe", "--confirm", "GFSCLUSTER"], "error: --confirm 'GFSCLUSTER' is not this spec's cluster name; nothing was contacted or changed\nhint: pass --confirm with the spec's cluster.name, exactly, to destroy that cluster's data\n"],
    [["--yes", "--confirm", "gfscluster"], "error: --confirm goes with --wipe; nothing was contacted or changed\nhint: destroy without --wipe keeps the data and takes --yes; add --wipe only to destroy the data too\n"],
    [[], "error: destroy needs confirmation and there is no terminal to ask\nhint: run `gfsdeploy plan --destroy` to review, then `gfsdeploy destroy --yes`\n"],
  ])("destroy %j: exit 2", async (flags, err) => {
    expect(await runCli("destroy", SPEC, ...flags)).toEqual({ code: 2, out: "", err });
    expect(dialled).not.toHaveBeenCalled();
  });

  it("plan --wipe without --destroy is a usage error", async () => {
    expect(await runCli("plan", "--wipe", "--offline", SPEC)).toMatchObject({ code: 2, out: "" });
    expect(dialled).not.toHaveBeenCalled();
  });
});

describe("plan --destroy --offline", () => {
  it("lists the teardown from the spec alone, the wipe steps marked destructive", async () => {
    const { code, out } = await runCli("plan", "--destroy", "--wipe", "--offline", SPEC);
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}! cluster\/destroy\/lvm\/vg_gfs\/remove +.*\[destructive\]$/m);
    expect(out).toMatch(/^ {4}node1\/destroy\/drbd\/r0\/down +r0 down$/m);
    expect(out.indexOf("cluster/destroy/cib/filesystems")).toBeLessThan(out.indexOf("cluster/destroy/cib/locking"));
    expect(out).toContain("! = destructive: destroys data; only in the plan with --wipe.");
    expect(dialled).not.toHaveBeenCalled();
  });

  it("without --wipe has no destructive step and says the data is kept", async () => {
    const { code, out } = await runCli("plan", "--destroy", "--offline", SPEC);
    expect(code).toBe(0);
    expect(out).not.toContain("[destructive]");
    expect(out).toMatch(/node2\/destroy\/drbd\/r0\/down +r0 down \(metadata and data kept\)/);
  });
});
