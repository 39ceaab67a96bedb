/**
 * The teardown plan of each fixture, keeping the data and wiping it, pinned beside the
 * fixture like its build plan, so a change to the teardown shows up as a reviewable diff.
 */
import { describe, expect, it } from "vitest";

import { offlineDestroyPlan } from "../../../src/cli/offline.js";

const fixtures = ["debian13", "debian12-lvmlockd", "debian12-nolvm", "el9", "el7-clvmd", "el8-drbd9", "two-resources"];

describe.each(fixtures)("%s", (fixture) => {
  const spec = `test/fixtures/specs/${fixture}/cluster.yaml`;
  const snapshots = `../../fixtures/specs/${fixture}/expected`;

  it.each([
    ["destroy-plan.json", false],
    ["destroy-wipe-plan.json", true],
  ] as const)("%s", async (file, wipe) => {
    await expect(JSON.stringify(offlineDestroyPlan(spec, { wipe }), null, 2) + "\n").toMatchFileSnapshot(`${snapshots}/${file}`);
  });

  it("marks as destructive only the steps of --wipe", () => {
    expect(offlineDestroyPlan(spec, { wipe: false }).steps.filter((s) => s.destructive).map((s) => s.id)).toEqual([]);
    expect(offlineDestroyPlan(spec, { wipe: true }).steps.filter((s) => s.destructive).map((s) => s.kind).sort()).toEqual(expect.arrayContaining(["drbd-wipe-md", "wipe-device"]));
  });
});
