/**
 * `gfsdeploy plan` end to end over simulated nodes: the real handlers behind the real runner.
 * On new machines, plan must say what apply would do, and change nothing while saying it.
 */

import { describe, expect, it } from "vitest";

import { loadScripts } from "../../../src/cli/templates.js";
import { runSteps } from "../../../src/run/runner.js";
import { handlers } from "../../../src/steps/registry.js";
import { lvmlockdPlan, secretStore } from "./harness.js";
import { NodeSim } from "./node-sim.js";

describe("plan on two freshly installed Debian 12 nodes", () => {
  it("changes nothing, and reports every step as a change, pending, or already right", async () => {
    // GIVEN two new nodes with their DRBD disks, and no authkey on the controller yet
    const sims = ["node1", "node2"].map((n) => new NodeSim(n).disk("/dev/vdb"));
    const before = sims.map((s) => s.snapshot());
    // WHEN planned
    const result = await runSteps(lvmlockdPlan, {
      mode: "plan",
      transports: new Map(sims.map((s) => [s.name, s.t])),
      registry: handlers,
      context: { secrets: secretStore({ pendingAuthkey: true }), forced: new Set(), scripts: loadScripts(), pollMs: 0 },
      subscribers: [],
    });
    // THEN no node changed
    for (const [i, sim] of sims.entries()) {
      expect.soft(sim.changesSince(0, 0), `${sim.name} changed during plan`).toEqual([]);
      expect.soft(sim.snapshot()).toBe(before[i]);
      expect(sim.unknown).toEqual([]);
    }
    // AND nothing is refused, failed or skipped: a step waiting for a package that apply installs is pending
    const blocked = [...result.records].filter(([, r]) => !["ok", "change", "pending"].includes(r.outcome)).map(([id, r]) => `${id}: ${r.outcome} (${r.reason ?? r.error?.message ?? ""})`);
    expect(blocked).toEqual([]);
    expect(result.records.get("node1/drbd/r0/create-md")?.outcome).toBe("change");
  });
});
