import { describe, expect, it } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadTemplates } from "../../../src/cli/templates.js";
import { compile } from "../../../src/plan/compile.js";
import { driftMessage, splitByPlaybook } from "../../../src/plan/select.js";
import type { Playbook } from "../../../src/playbook/types.js";
import { loadSpec } from "../../../src/spec/load.js";

const spec = loadSpec("test/fixtures/specs/debian12-lvmlockd/cluster.yaml", { checkSecrets: false }).spec;
const templates = loadTemplates();
const site = loadPlaybook("site");

/** site with every phase up to and including `last` check-only. */
function checkingUpTo(last: string): Playbook {
  const end = site.phases.findIndex((p) => p.name === last);
  return { ...site, name: "partial", phases: site.phases.map((p, i) => (i <= end ? { ...p, checkOnly: true } : p)) };
}

describe("splitByPlaybook", () => {
  it("leaves site's plan whole: nothing is only checked", () => {
    const plan = compile(spec, templates, site);
    const { check, run } = splitByPlaybook(plan, site);
    expect(check.steps).toEqual([]);
    expect(run).toEqual(plan);
  });

  it("checks the check-only phases and runs the rest without dependencies on checked steps", () => {
    const playbook = checkingUpTo("storage");
    const plan = compile(spec, templates, playbook);
    const { check, run } = splitByPlaybook(plan, playbook);
    expect(new Set(check.steps.map((s) => s.phase))).toEqual(new Set(["prepare", "corosync", "fencing", "drbd", "cluster", "locking", "storage"]));
    expect(new Set(run.steps.map((s) => s.phase))).toEqual(new Set(["filesystems", "grow"]));
    const filesystems = run.steps.filter((s) => s.phase === "filesystems");
    expect(filesystems.map((s) => s.id)).toEqual(["cluster/gfs2/data/mkfs", "cluster/cib/filesystems", "cluster/wait/filesystems"]);
    // mkfs depended on the LV; that LV is checked ok before anything runs, so the runner needs no such edge.
    expect(filesystems.map((s) => s.dependsOn)).toEqual([[], ["cluster/gfs2/data/mkfs"], ["cluster/cib/filesystems"]]);
    const checked = new Set(check.steps.map((s) => s.id));
    expect(run.steps.flatMap((s) => s.dependsOn).filter((d) => checked.has(d))).toEqual([]);
  });

  it("gives grow.yaml every apply step to check and only the grow phase to run", () => {
    const grow = loadPlaybook("grow");
    const plan = compile(spec, templates, grow);
    const { check, run } = splitByPlaybook(plan, grow);
    const isGrow = (phase: string) => phase === "grow";
    expect(check.steps.map((s) => s.id)).toEqual(plan.steps.filter((s) => !isGrow(s.phase)).map((s) => s.id));
    expect(run.steps.map((s) => s.id)).toEqual(plan.steps.filter((s) => isGrow(s.phase)).map((s) => s.id));
  });
});

describe("driftMessage", () => {
  const plan = compile(spec, templates, site);
  const step = (id: string) => {
    const found = plan.steps.find((s) => s.id === id);
    if (!found) throw new Error(`no step ${id}`);
    return found;
  };

  it("says nothing when every checked step is ok", () => {
    expect(driftMessage([{ step: step("node1/packages"), outcome: "ok" }])).toBeUndefined();
  });

  it("names each drifted phase once and every step that is not ok, with why", () => {
    const message = driftMessage([
      { step: step("node1/packages"), outcome: "ok" },
      { step: step("node2/corosync/conf"), outcome: "change", reason: "content differs" },
      { step: step("node1/drbd/r0/up"), outcome: "failed", reason: "drbdadm exited 10" },
      { step: step("node1/corosync/authkey"), outcome: "change", reason: "missing" },
    ]);
    expect(message).toBe(
      "the cluster has drifted from the spec in phase corosync, drbd:\n" +
        "  node2/corosync/conf on node2: change (content differs)\n" +
        "  node1/corosync/authkey on node1: change (missing)\n" +
        "  node1/drbd/r0/up on node1: failed (drbdadm exited 10)",
    );
  });
});
