/**
 * The rendered artifacts of every valid fixture, judged by the tools that will consume them,
 * and mutated artifacts proving each judgement can fail.
 *
 * What this Debian 12 machine's tools can and cannot judge, per target:
 * - corosync.conf: corosync 3's `corosync -t` checks every target; EL7's corosync 2 config is
 *   checked with its udpu crypto lines dropped (corosync 3 refuses crypto on udpu).
 * - DRBD: drbdadm 9.22 parses 8.4 files (Debian 12, Ubuntu 24.04, EL7) through drbdadm-84
 *   and 9 files (EL8, EL9) itself, as each node.
 * - CIB: Debian 13's pcs 0.12 commands are replayed by trixie's own pcs 0.12, then simulated
 *   by its Pacemaker 3.0, in a trixie root built once with mmdebstrap (trixie-root.ts). This
 *   machine's pcs 0.11 replays the commands of every other target but EL7 (Debian 12, Ubuntu,
 *   EL9, and EL8's pcs 0.10 commands, whose Master/Slave role names pcs 0.11 still accepts),
 *   then its crm_simulate. Not checkable here: EL7's pcs 0.9 syntax (`pcs cluster auth`,
 *   `master` resources), pinned by the snapshots only; pcs 0.10's own parser.
 * - mkfs.gfs2 arguments: every target, with this machine's gfs2-utils.
 * - Not here at all: package and repository names (dnf/yum), LVM's devices file, EL7's
 *   clvmd and lvmetad settings: snapshots and the step contracts on a simulated node.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { beforeAll, describe, expect, it } from "vitest";
import type { TestContext } from "vitest";

import { offlinePlan, writeArtifacts } from "../../src/cli/offline.js";
import type { Plan } from "../../src/plan/types.js";
import { needs } from "../support/needs.js";
import { scratchDir } from "../support/scratch.js";
import { checkCib, checkCorosync, checkDrbd, checkMkfs, chrootTools, hostTools, pcsArgvs } from "./checkers.js";
import type { PacemakerTools } from "./checkers.js";
import { orderingFailures, placementFailures, shapeOf } from "./expectations.js";
import { cannotBuildTrixieRoot, trixieRoot } from "./trixie-root.js";
import type { Missing } from "./trixie-root.js";

const fixtures = ["debian13", "debian12-lvmlockd", "debian12-nolvm", "ubuntu2404", "el9", "el7-clvmd", "el8-drbd9", "two-resources"];

interface Rendered {
  plan: Plan;
  dir: string;
}

function render(fixture: string): Rendered {
  const plan = offlinePlan(`test/fixtures/specs/${fixture}/cluster.yaml`, false);
  const dir = scratchDir(`render-${fixture}`);
  writeArtifacts(plan, dir);
  return { plan, dir };
}

function storageCommands(dir: string): { node: string; argv: string[] }[] {
  return readFileSync(join(dir, "cluster/storage.txt"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [node, command] = line.split("\t") as [string, string];
      return { node, argv: command.split(" ") };
    });
}

describe.each(fixtures)("rendered artifacts of %s", (fixture) => {
  let r: Rendered;
  beforeAll(() => {
    r = render(fixture);
  });

  it("corosync -t accepts corosync.conf as every node", async () => {
    for (const node of r.plan.nodes) {
      const run = await checkCorosync(join(r.dir, node.name, "etc/corosync/corosync.conf"), node.name, r.plan.distro === "el7");
      expect(run.ok, run.output).toBe(true);
    }
  });

  it("drbdadm parses every resource file in the plan's dialect as every node", async () => {
    const resources = r.plan.steps.filter((s) => s.kind === "drbd-up").map((s) => (s.kind === "drbd-up" ? s.params.resource : ""));
    expect(resources.length).toBeGreaterThan(0);
    for (const node of r.plan.nodes) {
      for (const res of new Set(resources)) {
        const run = await checkDrbd(join(r.dir, node.name, `etc/drbd.d/${res}.res`), node.name, r.plan.drbd);
        expect(run.ok, run.output).toBe(true);
        expect(run.output).toMatch(r.plan.drbd === "9" ? /drbdsetup new-peer .*--allow-two-primaries=yes .*--protocol=C/ : /drbdsetup-84 connect .*--protocol=C --allow-two-primaries=yes/);
        expect(run.output).toMatch(/--fencing=resource-and-stonith/);
      }
    }
  });

  it("mkfs.gfs2 with the compiled arguments makes the lock table and journal count the spec asks for", async () => {
    const mkfs = storageCommands(r.dir).filter((c) => c.argv[0] === "mkfs.gfs2");
    const planned = r.plan.steps.flatMap((s) => (s.kind === "mkfs-gfs2" ? [s.params] : []));
    expect(mkfs.length).toBe(planned.length);
    for (const [i, cmd] of mkfs.entries()) {
      const back = await checkMkfs(cmd.argv);
      expect(back).toEqual({ lockTable: planned[i]?.lockTable, journals: planned[i]?.journals, type: "gfs2" });
    }
  });
});

/** mmdebstrap builds the trixie root in about 2 minutes on a warm mirror; a slow one gets room. */
const TRIXIE_BUILD_TIMEOUT = 15 * 60_000;

type ToolChoice = { tools: PacemakerTools; missing?: undefined } | { tools?: undefined; missing: Missing };

/**
 * The tools that judge a plan's pcs commands: pcs 0.12 syntax (debian13) by trixie's pcs 0.12
 * and Pacemaker 3.0 in a cached root, built here when missing; the rest by this machine's.
 */
async function pacemakerToolsFor(plan: Plan): Promise<ToolChoice> {
  if (plan.pcs !== "0.12") return { tools: hostTools };
  const missing = await cannotBuildTrixieRoot();
  return missing ? { missing } : { tools: chrootTools(await trixieRoot(), "trixie's") };
}

function needsTools(ctx: TestContext, choice: ToolChoice): void {
  needs(ctx, choice.tools !== undefined, choice.missing?.what ?? "", choice.missing?.howToGet ?? "");
}

// pcs 0.9 (EL7) syntax cannot be replayed with this machine's pcs 0.11; its commands are pinned by snapshots.
describe.each(fixtures.filter((f) => f !== "el7-clvmd"))("CIB of %s in its pcs -f + crm_simulate", (fixture) => {
  let r: Rendered;
  let choice: ToolChoice;
  beforeAll(async () => {
    r = render(fixture);
    choice = await pacemakerToolsFor(r.plan);
  }, TRIXIE_BUILD_TIMEOUT);

  it("builds from an empty CIB, starts in order on every node, and places resources correctly", async (ctx) => {
    needsTools(ctx, choice);
    const shape = shapeOf(r.plan);
    const cib = await checkCib(await pcsArgvs(join(r.dir, "cluster/pcs.txt")), shape.nodes, shape.drbd, shape.nodes, choice.tools);
    expect(orderingFailures(cib, shape)).toEqual([]);
    expect(placementFailures(cib, shape, shape.nodes)).toEqual([]);
  });

  it("keeps filesystems where DRBD is Promoted when only the first node can promote", async (ctx) => {
    needsTools(ctx, choice);
    const shape = shapeOf(r.plan);
    const first = shape.nodes[0] as string;
    const cib = await checkCib(await pcsArgvs(join(r.dir, "cluster/pcs.txt")), shape.nodes, shape.drbd, [first], choice.tools);
    expect(placementFailures(cib, shape, [first])).toEqual([]);
  });
});

describe("trixie's pcs 0.12 and Pacemaker 3.0 catch what this machine's tools let through (debian13)", () => {
  let r: Rendered;
  let choice: ToolChoice;
  let commands: string[][];
  beforeAll(async () => {
    r = render("debian13");
    commands = await pcsArgvs(join(r.dir, "cluster/pcs.txt"));
    choice = await pacemakerToolsFor(r.plan);
  }, TRIXIE_BUILD_TIMEOUT);

  it("the Master role, removed in pcs 0.12, is refused with pcs's message, though pcs 0.11 takes it", async (ctx) => {
    needsTools(ctx, choice);
    const shape = shapeOf(r.plan);
    const mutated = commands.map((c) => c.map((a) => (a === "role=Promoted" ? "role=Master" : a)));
    expect(mutated).not.toEqual(commands);
    // GIVEN a CIB this machine's pcs 0.11 builds and simulates without complaint
    expect(orderingFailures(await checkCib(mutated, shape.nodes, shape.drbd), shape)).toEqual([]);
    // THEN trixie's pcs refuses it
    await expect(checkCib(mutated, shape.nodes, shape.drbd, shape.nodes, choice.tools)).rejects.toThrow(
      /^trixie's pcs rejected a command:\n[\s\S]*^Error: 'Master' is not a valid role value, use 'Promoted', 'Started', 'Stopped', 'Unpromoted'$/m,
    );
  });

  it("a missing promote→locking order is caught in Pacemaker 3.0's transition graph", async (ctx) => {
    needsTools(ctx, choice);
    const shape = shapeOf(r.plan);
    const cib = await checkCib(commands.filter((c) => !(c[1] === "order" && c[2] === "promote")), shape.nodes, shape.drbd, shape.nodes, choice.tools);
    expect(orderingFailures(cib, shape)).toEqual(expect.arrayContaining(["promote drbd_r0 before dlm on node1", "promote drbd_r0 before dlm on node2"]));
  });

  it("pcs 0.12 warns of no deprecation beyond the three the debian13 dialect renders today", async (ctx) => {
    needsTools(ctx, choice);
    const shape = shapeOf(r.plan);
    const cib = await checkCib(commands, shape.nodes, shape.drbd, shape.nodes, choice.tools);
    const deprecations = new Set(cib.pcsOutput.split("\n").filter((l) => l.startsWith("Deprecation Warning:")));
    // What the debian13 dialect renders today. Two have their replacement in `resource create`
    // only behind --future, which changes how pcs 0.12.0.2 reads the whole command; the third
    // (`resource clone ID k=v`) goes with `meta` before the options. A new one (a bare score
    // or --wait, both deprecated in 0.12) fails here.
    expect([...deprecations].sort()).toEqual([
      "Deprecation Warning: Configuring promotable meta attributes without specifying the 'meta' keyword after the 'promotable' keyword is deprecated and will be removed in a future release. Specify --future to switch to the future behavior.",
      "Deprecation Warning: Using '--group' is deprecated and will be replaced with 'group' in a future release. Specify --future to switch to the future behavior.",
      "Deprecation Warning: configuring meta attributes without specifying the 'meta' keyword is deprecated and will be removed in a future release",
    ]);
  });
});

describe("the checks catch wrong artifacts (mutated debian12-lvmlockd)", () => {
  let r: Rendered;
  let commands: string[][];
  beforeAll(async () => {
    r = render("debian12-lvmlockd");
    commands = await pcsArgvs(join(r.dir, "cluster/pcs.txt"));
  });
  const without = (pred: (c: string[]) => boolean) => commands.filter((c) => !pred(c));

  it("a missing promote→locking order is caught by the transition graph", async () => {
    const shape = shapeOf(r.plan);
    const cib = await checkCib(without((c) => c[1] === "order" && c[2] === "promote"), shape.nodes, shape.drbd);
    expect(orderingFailures(cib, shape)).toEqual(expect.arrayContaining(["promote drbd_r0 before dlm on node1", "promote drbd_r0 before dlm on node2"]));
  });

  it("ordering on start instead of promote is caught", async () => {
    const shape = shapeOf(r.plan);
    const mutated = commands.map((c) => (c[1] === "order" && c[2] === "promote" ? c.map((a) => (a === "promote" ? "start" : a)) : c));
    const cib = await checkCib(mutated, shape.nodes, shape.drbd);
    expect(orderingFailures(cib, shape).some((f) => f.startsWith("promote drbd_r0 before dlm"))).toBe(true);
  });

  it("a missing locking→filesystem order is caught", async () => {
    const shape = shapeOf(r.plan);
    const cib = await checkCib(without((c) => c[1] === "order" && c[3] === "locking-clone"), shape.nodes, shape.drbd);
    expect(orderingFailures(cib, shape)).toEqual(expect.arrayContaining(["lvmlockd before data-lv on node1"]));
  });

  it("without colocation and promote order, GFS2 starts where DRBD is not Promoted, and the check says so", async () => {
    const shape = shapeOf(r.plan);
    const mutated = without((c) => (c[1] === "colocation" && c.includes("Promoted")) || (c[1] === "order" && c[2] === "promote"));
    const cib = await checkCib(mutated, shape.nodes, shape.drbd, ["node1"]);
    expect(placementFailures(cib, shape, ["node1"])).toContain("data-group-clone started on node2 where drbd_r0 is Unpromoted");
  });

  it("a fence device allowed on its own target is caught", async () => {
    const shape = shapeOf(r.plan);
    const cib = await checkCib(without((c) => c[1] === "location"), shape.nodes, shape.drbd);
    expect(placementFailures(cib, shape, shape.nodes).join("\n")).toMatch(/runs on its own target/);
  });

  it("a resource file in the other DRBD dialect is refused by drbdadm", async () => {
    const res = join(r.dir, "node1/etc/drbd.d/r0.res");
    expect((await checkDrbd(res, "node1", "8.4")).ok).toBe(true);
    expect((await checkDrbd(res, "node1", "9")).ok).toBe(false);
    const nine = render("el8-drbd9");
    expect((await checkDrbd(join(nine.dir, "n1/etc/drbd.d/data0.res"), "n1", "8.4")).ok).toBe(false);
  });

  it("a wrong journal count or lock table shows in the read-back", async () => {
    const mkfs = storageCommands(r.dir).find((c) => c.argv[0] === "mkfs.gfs2")?.argv as string[];
    const oneJournal = mkfs.map((a, i) => (mkfs[i - 1] === "-j" ? "1" : a));
    expect((await checkMkfs(oneJournal)).journals).toBe(1);
    const otherTable = mkfs.map((a) => (a === "gfscluster:data" ? "other:data" : a));
    expect((await checkMkfs(otherTable)).lockTable).toBe("other:data");
  });

  it("a corosync.conf with a duplicate nodeid is refused by corosync -t", async () => {
    const conf = join(r.dir, "node1/etc/corosync/corosync.conf");
    const broken = join(scratchDir("corosync-bad"), "corosync.conf");
    writeFileSync(broken, readFileSync(conf, "utf8").replace("nodeid: 2", "nodeid: 1"));
    expect((await checkCorosync(broken, "node1")).ok).toBe(false);
  });
});
