/**
 * `npm run bench:compile`: how long spec → plan takes for the 2-node fixture. Prints numbers
 * and the target (median under 50 ms); it asserts nothing, so a slow CI box never fails tests.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

import { loadPlaybook } from "../../src/cli/playbooks.js";
import { loadTemplates } from "../../src/cli/templates.js";
import { compile } from "../../src/plan/compile.js";
import { parseSpec } from "../../src/spec/parse.js";

const file = "test/fixtures/specs/debian12-lvmlockd/cluster.yaml";
const text = readFileSync(file, "utf8");
const templates = loadTemplates();
const site = loadPlaybook("site");
const rounds = Number(process.env.ROUNDS ?? 300);

function measure(fn: () => void): number[] {
  for (let i = 0; i < 20; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

function parsed() {
  const r = parseSpec(text, file);
  if (!r.ok) throw new Error("fixture does not parse");
  return r.spec;
}

const rows = [
  ["parse + validate", measure(() => parsed())],
  ["parse + validate + compile", measure(() => compile(parsed(), templates, site))],
] as const;
console.log(`${file}, ${rounds} rounds after 20 warm-up, Node ${process.version}`);
console.log("phase                          median ms   p95 ms   max ms");
for (const [name, t] of rows) console.log(`${name.padEnd(30)} ${pct(t, 0.5).toFixed(3).padStart(9)} ${pct(t, 0.95).toFixed(3).padStart(8)} ${(t.at(-1) ?? 0).toFixed(3).padStart(8)}`);
const median = pct(rows[1][1], 0.5);
console.log(`target: compile median < 50 ms → ${median < 50 ? "met" : "MISSED"} (${median.toFixed(3)} ms)`);
