/**
 * Day 2 on the running test bed, by editing a copy of its spec: lv_data raised from 3G to
 * 3584M is extended, refreshed on node2 and its GFS2 grown online, with data on it intact;
 * one more journal is added with gfs2_jadd; then nothing is left to do.
 *
 * Room: the VG sits on a 4 GiB DRBD disk (4092 MiB of extents). lv_data takes 3072 MiB, so
 * 512 MiB more fits, even beside the 256 MiB lv_extra should 04 have failed to remove it.
 *
 * GFS2 cannot shrink or drop a journal, so this file leaves the test bed grown for good: it
 * runs last, and a reused test bed (GFSDEPLOY_E2E_REUSE=1) must be made fresh to run it again.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";

import type { NodeName } from "../../src/testbed/nodes.js";
import { scratchDir } from "../support/scratch.js";
import { both, gfsdeploy, notOk, on, phaseTimer, SPEC, until, type StepEnd } from "./support.js";

const timed = phaseTimer("day 2");
const DEVICE = "/dev/vg_gfs/lv_data";
const MIB = 1024 ** 2;
const DATA = "/srv/data/day2.bin";
const GROWN = "3584M";

/** The test bed's spec with lv_data's size and the data filesystem's journal count set, written to `file`. */
function writeSpec(file: string, lvSize: string, journals: number): void {
  const doc = parseDocument(readFileSync(SPEC, "utf8"));
  doc.setIn(["lvm", "volumeGroups", 0, "logicalVolumes", 0, "size"], lvSize);
  doc.setIn(["filesystems", 0, "journals"], journals);
  writeFileSync(file, doc.toString());
}

/** `gfsdeploy plan --json`: its exit code and every step that is not ok, by id. */
async function planned(spec: string, label: string): Promise<{ code: number; notOk: Map<string, StepEnd>; out: string }> {
  const r = await timed(label, () => gfsdeploy("plan", "--json", spec));
  return { code: r.code, notOk: notOk(r.out), out: r.out };
}

/** The size of the filesystem at /srv/data as df on `node` reports it, in bytes. */
async function dfBytes(node: NodeName): Promise<number> {
  return Number(await on(node, "df -B1 --output=size /srv/data | tail -n 1"));
}

/** Journals in the journal index, counted from lines like `journal0: 0x12    32MB clean.` */
async function journalCount(): Promise<number> {
  return Number(await on("node1", `gfs2_edit -p journals ${DEVICE} | grep -c '^journal[0-9]*:'`));
}

describe("day 2: a bigger LV and one more journal, from the spec", () => {
  let spec = "";
  let checksum = "";
  const dfBefore = new Map<string, number>();

  beforeAll(async () => {
    const r = await timed("converge before", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(r.code, r.out).toBe(0);
    spec = join(scratchDir("day2"), "cluster.yaml");
    expect(resolve(spec)).not.toBe(resolve(SPEC));
    // GIVEN lv_data as the bring-up made it, with room in the VG to grow it by 512 MiB
    expect(await on("node1", "lvs --noheadings --units m --nosuffix -o lv_size vg_gfs/lv_data"), "07 needs lv_data at 3G as the bring-up makes it: make the test bed fresh").toBe("3072.00");
    expect(Number(await on("node1", "vgs --noheadings --units m --nosuffix -o vg_free vg_gfs"))).toBeGreaterThanOrEqual(512);
    expect(await journalCount()).toBe(2);
    // AND 16 MiB of data on the filesystem, its checksum taken on the node that wrote it
    checksum = await on("node1", `head -c 16M /dev/urandom > ${DATA} && sync ${DATA} && md5sum < ${DATA}`);
    for (const n of both) dfBefore.set(n, await dfBytes(n));
  });

  it(`lv_data raised to ${GROWN}: plan lists exactly lvextend, node2's refresh and gfs2_grow; apply grows the filesystem on both nodes`, async () => {
    writeSpec(spec, GROWN, 2);
    const plan = await planned(spec, "plan the grow");
    expect(plan.code, plan.out).toBe(3);
    expect([...plan.notOk.keys()].sort()).toEqual(["cluster/gfs2/data/grow", "cluster/lvm/lv/vg_gfs/lv_data/extend", "node2/lvm/lv/vg_gfs/lv_data/refresh"]);
    expect(plan.notOk.get("cluster/lvm/lv/vg_gfs/lv_data/extend")).toEqual({ outcome: "change", reason: `lvextend vg_gfs/lv_data from 3G to ${GROWN}` });
    expect(plan.notOk.get("node2/lvm/lv/vg_gfs/lv_data/refresh")).toEqual({ outcome: "change", reason: `lvchange --refresh vg_gfs/lv_data after the lvextend to ${GROWN}` });
    expect(plan.notOk.get("cluster/gfs2/data/grow")).toMatchObject({ outcome: "change", reason: expect.stringMatching(new RegExp(`^gfs2_grow /srv/data: ${DEVICE} will be ${GROWN} after lvextend, the filesystem `)) as unknown });

    // The grow playbook: every other phase checked unchanged first, then only the grow phase runs.
    const r = await timed("run grow", () => gfsdeploy("run", "grow", spec, "--yes"));
    expect(r.code, r.out).toBe(0);
    expect(await on("node1", "lvs --noheadings --units m --nosuffix -o lv_size vg_gfs/lv_data")).toBe("3584.00");
    // Each node's kernel has the new size: node1's from lvextend, node2's from the refresh.
    for (const n of both) expect(Number(await on(n, `blockdev --getsize64 ${DEVICE}`)), n).toBe(3584 * MIB);
    // df on the other node follows once GFS2 syncs its statfs (every statfs_quantum, 30 s by default).
    for (const n of both) {
      const before = dfBefore.get(n) ?? Number.POSITIVE_INFINITY;
      await timed(`df grown on ${n}`, () => until(`df of /srv/data on ${n} grown by more than 448 MiB`, 180, async () => (await dfBytes(n)) > before + 448 * MIB));
    }
    for (const n of both) expect(await on(n, `md5sum < ${DATA}`), `${DATA} on ${n}`).toBe(checksum);
  });

  it("journals raised to 3: plan lists exactly gfs2_jadd; apply adds one journal", async () => {
    writeSpec(spec, GROWN, 3);
    const plan = await planned(spec, "plan the journal");
    expect(plan.code, plan.out).toBe(3);
    expect([...plan.notOk]).toEqual([["cluster/gfs2/data/journals", { outcome: "change", reason: "gfs2_jadd -j 1 -J 32 /srv/data: 2 → 3 journals" }]]);

    const r = await timed("apply the journal", () => gfsdeploy("apply", spec, "--yes"));
    expect(r.code, r.out).toBe(0);
    expect(await journalCount()).toBe(3);
    for (const n of both) expect(await on(n, "mount -t gfs2"), n).toMatch(/on \/srv\/data type gfs2 /);
    for (const n of both) expect(await on(n, `md5sum < ${DATA}`), `${DATA} on ${n}`).toBe(checksum);
  });

  it("a final plan has nothing to do", async () => {
    const plan = await planned(spec, "plan after day 2");
    expect([...plan.notOk]).toEqual([]);
    expect(plan.code, plan.out).toBe(0);
  });
});
