/**
 * shipScript: gfsdeploy's helper scripts reach a node under a name that carries their content
 * hash, in a directory no package makes, which it makes before the first write.
 */

import { describe, expect, it } from "vitest";

import { shipScript } from "../../../src/steps/scripts.js";
import { CACHE_DIRS, contextFor } from "./harness.js";
import { NodeSim } from "./node-sim.js";

describe("shipScript", () => {
  it("on a fresh node makes the scripts directory, then writes the script executable", async () => {
    // GIVEN a node gfsdeploy never reached: /var/lib/gfsdeploy does not exist
    const sim = new NodeSim("node1");
    const ctx = contextFor(sim);
    // WHEN a script is shipped
    const path = await shipScript(ctx, "cib_sync.py");
    // THEN it sits in the scripts directory under its hash, with the body of the template
    expect(path).toMatch(/^\/var\/lib\/gfsdeploy\/scripts\/[0-9a-f]{12}-cib_sync\.py$/);
    expect(sim.t.files.get(path)).toMatchObject({ body: Buffer.from(ctx.scripts["cib_sync.py"] ?? "-"), mode: 0o755 });
    // AND the directory was made before the write, and nothing else changed the node
    expect(sim.changesSince(0, 0)).toEqual([`writeFile ${path}`, `mkdir -p ${CACHE_DIRS.scripts}`]);
    const order = sim.t.calls.map((c) => (c.kind === "exec" ? [c.command, ...c.args].join(" ") : c.kind));
    expect(order).toEqual(["batch", `test -s ${path}`, `mkdir -p ${CACHE_DIRS.scripts}`, "writeFile"]);
    expect(sim.unknown).toEqual([]);
  });

  it("sends nothing and makes nothing when the node already has that script", async () => {
    const sim = new NodeSim("node1");
    const ctx = contextFor(sim);
    const path = await shipScript(ctx, "pcs_batch.py");
    const calls = sim.t.calls.length;
    const mutations = sim.mutations.length;
    expect(await shipScript(ctx, "pcs_batch.py")).toBe(path);
    expect(sim.changesSince(calls, mutations)).toEqual([]);
    expect(sim.t.commandLines().slice(-1)).toEqual([`test -s ${path}`]);
  });
});
