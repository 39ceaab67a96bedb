/**
 * The health reads through the real read batch on this machine, which has the cluster's tools
 * but no cluster: what the real tools print when nothing runs must read as problems, never
 * crash a reader. A GFS2 made by the real mkfs.gfs2 in a sparse file stands in for the
 * filesystem's device, so tunegfs2 and gfs2_edit read it for real.
 */
import { join } from "node:path";

import { execa } from "execa";
import { describe, expect, it } from "vitest";

import { nodeReading, nodeReads, readingProblems } from "../../src/health/read.js";
import type { HealthyShape } from "../../src/health/shape.js";
import { gather } from "../../src/probes/facts.js";
import { stackVersions, versionsReads } from "../../src/probes/node.js";
import { LocalTransport } from "../../src/transport/local.js";
import { scratchDir } from "../support/scratch.js";

describe("health reads on this machine's real tools", () => {
  it("read a machine without a cluster as one that is down, and a real GFS2's lock table and journals", async () => {
    // GIVEN a GFS2 with two journals in a file, and a shape asking for a tool nobody has
    const image = join(scratchDir("health-reads"), "fs.img");
    await execa("truncate", ["-s", "256M", image]);
    await execa("mkfs.gfs2", ["-O", "-p", "lock_dlm", "-t", "gfstest:data", "-j", "2", "-J", "32", image]);
    const shape: HealthyShape = {
      nodes: ["localhost"],
      resources: ["r0"],
      fenceDevices: [],
      filesystems: [{ mountpoint: "/srv/gfsdeploy-not-mounted", device: image, lockTable: "gfstest:data", lockspace: "data", options: ["noatime"] }],
      tools: { names: ["sh", "gfsdeploy-no-such-tool"], install: "install it" },
    };
    // WHEN it is read in one batch, as status, fence-test and bench read a node
    const f = await gather(new LocalTransport(), [...nodeReads(shape), ...versionsReads()]);
    const reading = nodeReading(f, shape);
    // THEN the image's superblock and journal index are read, and what is missing is named
    expect(reading.devices).toEqual([{ device: image, lockTable: "gfstest:data", journals: 2 }]);
    expect(reading.missingTools).toEqual(["gfsdeploy-no-such-tool"]);
    const problems = readingProblems(reading, shape);
    expect(problems).toHaveLength(4);
    // crm_mon says 102 and why (not connected) here, 127 where Pacemaker is not installed.
    expect(problems[0]).toMatch(/^localhost: pacemaker is not answering \(crm_mon exited \d+(: .+)?\)$/);
    expect(problems.slice(1)).toEqual(["localhost: DRBD r0 is down", "localhost: /srv/gfsdeploy-not-mounted is not a mounted GFS2 filesystem", "localhost: gfsdeploy-no-such-tool not installed (install it)"]);
    // AND the versions are each tool's first line
    const versions = stackVersions(f);
    expect(versions.kernel).toMatch(/^\d+\.\d+/);
    expect(versions.gfs2Utils).toMatch(/^mkfs\.gfs2 \d+\.\d+/);
    expect(versions.drbd).not.toContain("\n");
  });
});
