/**
 * The harness's one exception to "check changes nothing": the cib check may fill gfsdeploy's
 * own cache. These tests pin how narrow that exception is, so readOnlyCheck and the plan test
 * still catch a check that touches the cluster or writes anywhere else.
 */

import { describe, expect, it } from "vitest";

import { apply, check, checkMayChange, contextFor, inGfsdeployCache, isCibCacheChange, lvmlockdPlan, preparedNode, stepOf } from "./harness.js";
import { NodeSim } from "./node-sim.js";

const baseCib = stepOf(lvmlockdPlan, "cluster/cib/base", "cib");
const batch = `/var/lib/gfsdeploy/scripts/0123456789ab-pcs_batch.py`;
const sync = `/var/lib/gfsdeploy/scripts/0123456789ab-cib_sync.py`;
const desired = "/var/lib/gfsdeploy/cib/desired-base-0123456789abcdef.xml";

describe("what a check may change", () => {
  it("lets the cib check ship its scripts and build the desired CIB in the cache", () => {
    const lines = [
      "mkdir -p /var/lib/gfsdeploy/scripts",
      `writeFile ${batch}`,
      `writeFile ${sync}`,
      "mkdir -p /var/lib/gfsdeploy/cib",
      `sh -c 'cibadmin --empty > "$1"' sh ${desired}.tmp`,
      `/usr/bin/python3 ${batch} -f ${desired}.tmp`,
      `mv -f ${desired}.tmp ${desired}`,
    ];
    expect(lines.filter((l) => !checkMayChange("cib").change(l))).toEqual([]);
    expect([batch, sync, desired, `${desired}.tmp`].every(inGfsdeployCache)).toBe(true);
    expect(["/var/lib/gfsdeploy/scripts", "/var/lib/gfsdeploy/cib"].every(checkMayChange("cib").dir)).toBe(true);
  });

  it("allows no change at all to any other kind, the cache included", () => {
    for (const kind of ["file", "packages", "pvcreate", "mkfs-gfs2", "sbd-device", "wait-resources"] as const) {
      expect(checkMayChange(kind).change(`writeFile ${batch}`), kind).toBe(false);
      expect(checkMayChange(kind).change("mkdir -p /var/lib/gfsdeploy/cib"), kind).toBe(false);
      expect(checkMayChange(kind).change("mkdir -p /var/lib/gfsdeploy/scripts"), kind).toBe(false);
      expect(checkMayChange(kind).file(desired), kind).toBe(false);
      expect(checkMayChange(kind).dir("/var/lib/gfsdeploy/scripts"), kind).toBe(false);
    }
  });

  it("does not let the cib check push the CIB, or write outside the cache", () => {
    const lines = [
      `/usr/bin/python3 ${sync} apply ${desired}`,
      `/usr/bin/python3 ${sync} check ${desired} --push`,
      "cibadmin --replace --xml-file /var/lib/gfsdeploy/cib/desired-base-0123456789abcdef.xml",
      "cibadmin --patch --xml-pipe",
      "pcs property set stonith-enabled=true",
      `/usr/bin/python3 ${batch}`,
      `/usr/bin/python3 ${batch} -f /etc/cib.xml`,
      `/usr/bin/python3 ${sync} -f ${desired}`,
      `sh -c 'cibadmin --empty > "$1"' sh /var/lib/pacemaker/cib/cib.xml`,
      `sh -c 'cibadmin --replace < "$1"' sh ${desired}`,
      `mv -f ${desired} /var/lib/pacemaker/cib/cib.xml`,
      `mv -f /etc/passwd ${desired}`,
      "mkdir -p /etc/gfsdeploy",
      "mkdir -p /var/lib/gfsdeploy",
      "mkdir -p /var/lib/gfsdeploy/scripts/sub",
      "mkdir -p /var/lib/gfsdeploy/scripts/../../pacemaker",
      "mkdir -p /var/lib/gfsdeploy/scripts /etc/gfsdeploy",
      "mkdir /var/lib/gfsdeploy/scripts",
      "mkdir -p /run/gfsdeploy",
      "touch /run/gfsdeploy/corosync-restart-needed",
      "writeFile /etc/corosync/corosync.conf",
      "writeFile /var/lib/gfsdeploy/other/file",
      "writeFile /var/lib/gfsdeploy/cib/../../pacemaker/cib/cib.xml",
      "writeFile /var/lib/gfsdeploy/scripts/sub/x.py",
      "systemctl restart pacemaker",
    ];
    expect(lines.filter((l) => checkMayChange("cib").change(l))).toEqual([]);
    expect(["/var/lib/gfsdeploy", "/var/lib/gfsdeploy/scripts/sub", "/run/gfsdeploy", "/etc/gfsdeploy"].filter(checkMayChange("cib").dir)).toEqual([]);
  });

  it("still catches a check that makes any other directory: the snapshot keeps it", async () => {
    // GIVEN a node, and a snapshot that leaves out what a cib check may change
    const sim = new NodeSim("node1");
    const cache = checkMayChange("cib");
    const before = sim.snapshot({ ignoreFile: cache.file, ignoreDir: cache.dir });
    // WHEN the cache directories are made, the snapshot is the same; WHEN /run/gfsdeploy is, it is not
    await sim.t.exec("mkdir", ["-p", "/var/lib/gfsdeploy/scripts"]);
    await sim.t.exec("mkdir", ["-p", "/var/lib/gfsdeploy/cib"]);
    expect(sim.snapshot({ ignoreFile: cache.file, ignoreDir: cache.dir })).toBe(before);
    await sim.t.exec("mkdir", ["-p", "/run/gfsdeploy"]);
    expect(sim.snapshot({ ignoreFile: cache.file, ignoreDir: cache.dir })).not.toBe(before);
  });

  it("still sees the cib apply as a change: it pushes the CIB with cib_sync.py apply", async () => {
    // GIVEN a running cluster whose CIB lacks the base stage
    const sim = preparedNode("node1").clusterRunning([{ name: "node2", online: true }]);
    const ctx = contextFor(sim);
    expect((await check(baseCib, ctx)).status).toBe("change");
    const calls = sim.t.calls.length;
    const mutations = sim.mutations.length;
    // WHEN apply runs
    await apply(baseCib, ctx);
    // THEN what it changed is not all cache: the push stands out
    const outside = sim.changesSince(calls, mutations).filter((c) => !isCibCacheChange(c));
    expect(outside).toHaveLength(1);
    expect(outside[0]).toMatch(/^\/usr\/bin\/python3 \/var\/lib\/gfsdeploy\/scripts\/[0-9a-f]{12}-cib_sync\.py apply \/var\/lib\/gfsdeploy\/cib\/desired-base-[0-9a-f]{16}\.xml$/);
    expect(sim.unknown).toEqual([]);
  });
});
