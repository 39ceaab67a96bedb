/**
 * The shipped fence-test playbook on the healthy test bed: `gfsdeploy run fence-test` fences
 * node2 through Pacemaker and reports each phase ok, timed. The nodes' own tools must agree:
 * node2 rebooted, node1 kept its boot with no failed action, and a file on GFS2 reads back
 * byte for byte on both nodes.
 */
import { describe, expect, it } from "vitest";

import type { PhaseResult } from "../../src/fence-test/run.js";
import { both, bootId, failedActions, gfsdeploy, on, phaseTimer, SPEC } from "./support.js";

const timed = phaseTimer("fence-test playbook");
const FILE = "/srv/data/fence-test-keeps-me.bin";

describe("run fence-test", () => {
  it("fences node2, sees node1 recover and node2 rejoin, and finds nothing to change; the nodes agree", async () => {
    const converged = await timed("converge before", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(converged.code, converged.out).toBe(0);
    const sum = await on("node1", `head -c 16M /dev/urandom > ${FILE} && sync && md5sum < ${FILE}`);
    const [boot1, boot2] = [await bootId("node1"), await bootId("node2")];

    const r = await timed("run fence-test --target node2", () => gfsdeploy("run", "fence-test", SPEC, "--target", "node2", "--yes", "--json"));
    expect(r.code, r.out).toBe(0);
    const report = JSON.parse(r.out.split("\n").find((l) => l.startsWith("{")) ?? "{}") as { playbook: string; target: string; phases: PhaseResult[] };
    expect(report).toMatchObject({ playbook: "fence-test", target: "node2" });
    expect(report.phases.map((p) => [p.phase, p.outcome])).toEqual([
      ["health", "ok"],
      ["fence", "ok"],
      ["recover-survivor", "ok"],
      ["rejoin", "ok"],
      ["verify", "ok"],
    ]);
    for (const p of report.phases) process.stderr.write(`[e2e]   ${p.phase}: ${p.seconds.toFixed(1)} s (${p.detail})\n`);

    expect(await bootId("node2"), "node2 was power-cycled").not.toBe(boot2);
    expect(await bootId("node1"), "node1 must survive node2's fencing").toBe(boot1);
    expect(await failedActions("node1"), "no failed action on the survivor").toBe("0");
    for (const n of both) expect(await on(n, `md5sum < ${FILE}`), n).toBe(sum);
    await on("node1", `rm -f ${FILE}`);
  });
});
