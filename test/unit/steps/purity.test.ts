/**
 * The step contract, enforced: handlers read a node only through the facts the runner
 * gathers (or ctx.read, for an apply that must look again), and a check returns what it found
 * for any state a node can be in, never throws. Run over every step of every fixture plan.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadScripts, loadTemplates } from "../../../src/cli/templates.js";
import { compile } from "../../../src/plan/compile.js";
import { compileDestroy } from "../../../src/plan/destroy.js";
import type { AnyStep } from "../../../src/plan/types.js";
import { Facts, readKey } from "../../../src/probes/facts.js";
import { loadSpec } from "../../../src/spec/load.js";
import { handlers } from "../../../src/steps/registry.js";
import { handlerFor, type CheckEnv } from "../../../src/steps/types.js";
import type { ExecResult } from "../../../src/transport/types.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const STEPS_DIR = "src/steps";
const SPECS = "test/fixtures/specs";

// The fixture specs, and the test bed's, the one with SBD.
const steps: AnyStep[] = [...readdirSync(SPECS).map((dir) => loadSpec(join(SPECS, dir, "cluster.yaml"), { checkSecrets: false }).spec), testbedSpec()].flatMap((spec) => [
  ...compile(spec, loadTemplates(), loadPlaybook("site")).steps,
  ...compileDestroy(spec, { wipe: true }, loadPlaybook("destroy")).steps,
]);

const env: CheckEnv = { host: "node1", secrets: { get: () => Buffer.from("secret"), pending: () => false }, forced: new Set(), scripts: loadScripts() };

/** Facts in which every read of `step` answered `result`. */
function factsWhere(step: AnyStep, result: ExecResult): Facts {
  return new Facts("node1", new Map(handlerFor(handlers, step).reads(step, env).map((r) => [readKey(r), result])));
}

describe("the step contract", () => {
  it("covers every step kind of the fixture plans", () => {
    expect(new Set(steps.map((s) => s.kind))).toEqual(new Set(Object.keys(handlers)));
  });

  it("has no handler that runs a read of its own: node state comes from facts or ctx.read", () => {
    const offenders = readdirSync(STEPS_DIR).flatMap((file) =>
      readFileSync(join(STEPS_DIR, file), "utf8")
        .split("\n")
        .flatMap((line, i) => (/\bprobe\(|\.t\.exec\(|\.t\.readFile\(|\.t\.batch\(/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it("refuses only through check: the one RefusedError apply throws is mkfs-gfs2 running its own check again on an LV it had to activate", () => {
    // A refusal thrown anywhere else would first appear mid-apply, after plan said change:
    // judge it in the step's check instead, where plan and the runner's last look see it.
    const thrown = readdirSync("src", { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        readFileSync(join("src", file), "utf8")
          .split("\n")
          .flatMap((line) => (/new RefusedError\b/.test(line) ? [`${join("src", file)}: ${line.trim()}`] : [])),
      );
    expect(thrown).toEqual(['src/steps/gfs2.ts: if (now.status === "refuse") throw new RefusedError(now);']);
  });

  it("has only synchronous checks: a check cannot wait for anything, so it cannot reach a node", () => {
    const asyncChecks = Object.entries(handlers).filter(([, h]) => h.check.constructor.name === "AsyncFunction").map(([kind]) => kind);
    expect(asyncChecks).toEqual([]);
  });

  const states: [string, ExecResult][] = [
    ["every tool missing (a bare node)", { code: 127, stdout: "", stderr: "sh: 1: tool: not found\n" }],
    ["every read failing", { code: 1, stdout: "", stderr: "error\n" }],
    ["every read succeeding with no output", { code: 0, stdout: "", stderr: "" }],
    ["every read printing something unexpected", { code: 0, stdout: "unexpected\n", stderr: "" }],
  ];
  it.each(states)("returns a result, never throws, with %s", (_, result) => {
    const thrown: string[] = [];
    for (const step of steps) {
      try {
        const r = handlerFor(handlers, step).check(step, factsWhere(step, result), env);
        expect(["ok", "change", "pending", "refuse"]).toContain(r.status);
      } catch (e) {
        thrown.push(`${step.id} (${step.kind}): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    expect(thrown).toEqual([]);
  });
});
