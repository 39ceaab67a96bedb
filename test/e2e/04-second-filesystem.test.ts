/**
 * A second filesystem added to a running cluster, on an LV that already holds GFS2 with
 * another cluster's lock table: apply refuses mkfs and leaves the device as it was; only
 * --force-device for that LV lets it re-create the filesystem, which then mounts on both
 * nodes without touching the first filesystem. The file then takes `extra` away again by hand,
 * so the files after it find the test bed's own spec on the nodes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument, type YAMLSeq } from "yaml";

import { scratchDir } from "../support/scratch.js";
import { both, gfsdeploy, on, phaseTimer, SPEC, until } from "./support.js";

const timed = phaseTimer("second filesystem");
const DEVICE = "/dev/vg_gfs/lv_extra";

/** The test bed's spec plus lv_extra and a filesystem `extra` on it, in a file of its own. */
function specWithExtra(): string {
  const doc = parseDocument(readFileSync(SPEC, "utf8"));
  (doc.getIn(["lvm", "volumeGroups", 0, "logicalVolumes"]) as YAMLSeq).add(doc.createNode({ name: "lv_extra", size: "256M" }));
  (doc.get("filesystems") as YAMLSeq).add(doc.createNode({ name: "extra", device: "vg_gfs/lv_extra", mountpoint: "/srv/extra", journals: 2, journalSize: "8M" }));
  const file = join(scratchDir("extra"), "cluster.yaml");
  writeFileSync(file, doc.toString());
  return file;
}

describe("a second filesystem on a device that already holds GFS2", () => {
  let spec = "";
  let before = "";

  beforeAll(async () => {
    const r = await timed("converge before", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(r.code, r.out).toBe(0);
    spec = specWithExtra();
    expect(resolve(spec)).not.toBe(resolve(SPEC));
    // GIVEN another cluster's GFS2 on the LV the new filesystem is meant for.
    before = await on(
      "node1",
      `lvcreate --yes -an -Zn -L 256m -n lv_extra vg_gfs >/dev/null && lvchange -aey vg_gfs/lv_extra && mkfs.gfs2 -O -p lock_dlm -t othercluster:extra -j 2 -J 8 ${DEVICE} >/dev/null && head -c 16M ${DEVICE} | md5sum && lvchange -an vg_gfs/lv_extra`,
    );
  });

  afterAll(async () => {
    // pcs stops the clone (unmount, LV deactivation on every node) before deleting it.
    await timed("remove extra again", async () => {
      await on("node1", "if crm_resource --resource extra-group-clone --query-xml >/dev/null 2>&1; then pcs resource delete extra-group-clone >/dev/null; fi");
      await until("/srv/extra unmounted and lv_extra inactive on both nodes", 300, async () => {
        for (const n of both) {
          if ((await on(n, "findmnt -n /srv/extra || true")) !== "") return false;
          if ((await on(n, "lvs --noheadings --binary -o lv_active_locally vg_gfs/lv_extra 2>/dev/null || true")) === "1") return false;
        }
        return true;
      });
      await on("node1", "if lvs vg_gfs/lv_extra >/dev/null 2>&1; then lvremove -y vg_gfs/lv_extra >/dev/null; fi");
    });
  });

  it("apply refuses mkfs over the other cluster's GFS2 and leaves it as it was", async () => {
    const r = await timed("apply (refused)", () => gfsdeploy("apply", spec, "--yes"));
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/REFUSED\s+cluster\/gfs2\/extra\/mkfs/);
    // Found when apply activated the LV to look, right before mkfs.
    expect(r.out).toContain(`${DEVICE} on node1 already holds gfs2; mkfs.gfs2 would destroy it`);
    expect(r.out).toContain(`--force-device ${DEVICE}`);
    expect(await on("node1", `lvchange -asy vg_gfs/lv_extra; head -c 16M ${DEVICE} | md5sum`)).toBe(before);
    const plan = await timed("plan shows the refusal", () => gfsdeploy("plan", spec));
    expect(plan.code, plan.out).toBe(1);
    expect(plan.out).toMatch(/REFUSED\s+cluster\/gfs2\/extra\/mkfs/);
    expect(plan.out).toContain("holds GFS2 with lock table othercluster:extra, the spec says gfstest:extra");
  });

  it("with --force-device for that LV it is re-created and mounted on both nodes; the first filesystem is untouched", async () => {
    const data = await on("node1", "md5sum /srv/data/precious.bin 2>/dev/null || true");
    const r = await timed("apply --force-device", () => gfsdeploy("apply", spec, "--yes", "--force-device", DEVICE));
    expect(r.code, r.out).toBe(0);
    expect(await on("node1", `tunegfs2 -l ${DEVICE}`)).toMatch(/^Lock table: gfstest:extra$/m);
    for (const n of both) expect(await on(n, "mount -t gfs2")).toMatch(/on \/srv\/extra type gfs2 .*noatime/);
    expect(await on("node2", "md5sum /srv/data/precious.bin 2>/dev/null || true")).toBe(data);
    const plan = await timed("plan with both filesystems", () => gfsdeploy("plan", spec));
    expect(plan.code, plan.out).toBe(0);
  });
});
