/**
 * The plan and every rendered file of each fixture, pinned as plain files beside the
 * fixture, so a change to a template or the compiler shows up as a config diff in review.
 */
import { describe, expect, it } from "vitest";

import { offlinePlan } from "../../../src/cli/offline.js";
import { renderArtifacts } from "../../../src/render/artifacts.js";

const fixtures = ["debian13", "debian12-lvmlockd", "debian12-nolvm", "ubuntu2404", "el9", "el7-clvmd", "el8-drbd9", "two-resources"];

describe.each(fixtures)("%s", (fixture) => {
  const plan = offlinePlan(`test/fixtures/specs/${fixture}/cluster.yaml`, false);
  const snapshots = `../../fixtures/specs/${fixture}/expected`;

  it("plan", async () => {
    await expect(JSON.stringify(plan, null, 2) + "\n").toMatchFileSnapshot(`${snapshots}/plan.json`);
  });

  it.each(renderArtifacts(plan).map((a) => [a.path, a.content] as const))("rendered %s", async (path, content) => {
    await expect(content).toMatchFileSnapshot(`${snapshots}/render/${path}`);
  });
});
