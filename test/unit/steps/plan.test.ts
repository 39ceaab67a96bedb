/**
 * `gfsdeploy plan` end to end over simulated nodes: the real handlers behind the real runner.
 * On new machines, plan must say what apply would do, and change nothing while saying it
 * (gfsdeploy's own cache aside, which only the cib check may fill: see checkMayChange).
 */

import { describe, expect, it } from "vitest";

import { loadScripts } from "../../../src/cli/templates.js";
import type { RunEvent } from "../../../src/run/events.js";
import { runSteps } from "../../../src/run/runner.js";
import { handlers } from "../../../src/steps/registry.js";
import { checkMayChange, inGfsdeployCache, isCibCacheChange, isGfsdeployCacheDir, lvmlockdPlan, secretStore } from "./harness.js";
import { NodeSim } from "./node-sim.js";

describe("plan on two freshly installed Debian 12 nodes", () => {
  it("changes nothing, and reports every step as a change, pending, or already right", async () => {
    // GIVEN two new nodes with their DRBD disks, and no authkey on the controller yet
    const sims = ["node1", "node2"].map((n) => new NodeSim(n).disk("/dev/vdb"));
    const simOf = new Map(sims.map((s) => [s.name, s]));
    const kindOf = new Map(lvmlockdPlan.steps.map((s) => [s.id, s.kind]));
    const cache = { ignoreFile: inGfsdeployCache, ignoreDir: isGfsdeployCacheDir };
    const before = sims.map((s) => s.snapshot(cache));
    // Steps of one host run one at a time, so what a node saw between a step's start and end is that step's doing.
    const started = new Map<string, { sim: NodeSim; calls: number; mutations: number }>();
    const forbidden: string[] = [];
    let attributed = 0;
    const watch = (e: RunEvent) => {
      if (e.type === "step-start") {
        const sim = simOf.get(e.host);
        if (sim) started.set(e.id, { sim, calls: sim.t.calls.length, mutations: sim.mutations.length });
      } else if (e.type === "step-end") {
        const s = started.get(e.id);
        const kind = kindOf.get(e.id);
        for (const c of s ? s.sim.changesSince(s.calls, s.mutations) : []) {
          attributed++;
          if (kind === undefined || !checkMayChange(kind).change(c)) forbidden.push(`${e.id} on ${s?.sim.name ?? "?"}: ${c}`);
        }
      }
    };
    // WHEN planned
    const result = await runSteps(lvmlockdPlan, {
      mode: "plan",
      transports: new Map(sims.map((s) => [s.name, s.t])),
      registry: handlers,
      context: { secrets: secretStore({ pendingAuthkey: true }), forced: new Set(), scripts: loadScripts(), pollMs: 0 },
      subscribers: [watch],
    });
    // THEN no step changed a node, beyond the cib checks filling gfsdeploy's cache
    expect.soft(forbidden, "changes made during plan").toEqual([]);
    expect(attributed, "every change a node saw happened inside a step").toBe(sims.reduce((n, sim) => n + sim.changesSince(0, 0).length, 0));
    for (const [i, sim] of sims.entries()) {
      expect.soft(sim.changesSince(0, 0).filter((c) => !isCibCacheChange(c)), `${sim.name} changed during plan`).toEqual([]);
      expect.soft(sim.snapshot(cache), `${sim.name} outside gfsdeploy's cache`).toBe(before[i]);
      expect(sim.unknown).toEqual([]);
    }
    // AND nothing is refused, failed or skipped: a step waiting for a package that apply installs is pending
    const blocked = [...result.records].filter(([, r]) => !["ok", "change", "pending"].includes(r.outcome)).map(([id, r]) => `${id}: ${r.outcome} (${r.reason ?? r.error?.message ?? ""})`);
    expect(blocked).toEqual([]);
    expect(result.records.get("node1/drbd/r0/create-md")?.outcome).toBe("change");
    // AND the day-2 steps, which look at an LV and a filesystem that do not exist yet, wait for them
    const pending = (id: string) => [result.records.get(id)?.outcome, result.records.get(id)?.reason];
    expect(pending("node2/lvm/lv/vg_gfs/lv_data/refresh")).toEqual(["pending", "after cluster/lvm/lv/vg_gfs/lv_data (cannot inspect yet: no LV vg_gfs/lv_data yet)"]);
    expect(pending("cluster/gfs2/data/grow")).toEqual(["pending", "after cluster/wait/filesystems (cannot inspect yet: /dev/vg_gfs/lv_data is not active on node1)"]);
    expect(pending("cluster/drbd/r0/resize")).toEqual(["pending", "after cluster/wait/base (cannot inspect yet: r0 is not up on node1 (no /dev/drbd0))"]);
    expect(pending("cluster/lvm/pv/drbd0/resize")[0]).toBe("pending");
    expect(pending("cluster/gfs2/data/journals")).toEqual(["pending", "after cluster/gfs2/data/grow (cannot inspect yet: /dev/vg_gfs/lv_data is not active on node1)"]);
  });
});
