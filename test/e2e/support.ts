/**
 * What every end-to-end file shares: the test bed's spec, commands on the nodes over plain
 * `ssh` (assertions use the nodes' own tools, never gfsdeploy's view), the CLI in-process,
 * and a table of how long each phase took.
 */
import { afterAll } from "vitest";
import { execa } from "execa";

import type { Outcome } from "../../src/run/events.js";
import { sshArgs } from "../../src/testbed/vm.js";
import type { NodeName } from "../../src/testbed/nodes.js";
import { runCli } from "../support/cli.js";
import { record } from "./transcript.js";

export const SPEC = "inventories/testbed/cluster.yaml";
export const both: NodeName[] = ["node1", "node2"];

/** Phase → seconds, printed as a table when the file's tests end. */
export function phaseTimer(title: string): <T>(label: string, work: () => Promise<T>) => Promise<T> {
  const timings: [string, number][] = [];
  afterAll(() => {
    process.stderr.write(`\n${title}: phase timings (s)\n${timings.map(([l, s]) => `  ${l.padEnd(60)} ${s.toFixed(1).padStart(8)}`).join("\n")}\n`);
  });
  return async (label, work) => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      const s = (Date.now() - t0) / 1000;
      timings.push([label, s]);
      process.stderr.write(`[e2e] ${label}: ${s.toFixed(1)} s\n`);
    }
  };
}

/** A command on a node through the system ssh client; it must exit 0. */
export async function on(node: NodeName, script: string): Promise<string> {
  const r = await execa("ssh", sshArgs(node, [script]), { reject: false });
  if (r.exitCode !== 0) throw new Error(`${node}: \`${script}\` exited ${r.exitCode}\n${r.stderr}`);
  return r.stdout.trim();
}

/** The node's kernel boot id: another one means it rebooted. */
export const bootId = (node: NodeName) => on(node, "cat /proc/sys/kernel/random/boot_id");

/** How many failed actions the node's crm_mon lists, as text ("0" when none). */
export const failedActions = (node: NodeName) => on(node, "crm_mon -1 --output-as=xml | grep -c '<failure ' || true");

/** A command on a node whose exit status is data. */
export async function tryOn(node: NodeName, script: string): Promise<{ code: number; out: string }> {
  const r = await execa("ssh", sshArgs(node, [script]), { reject: false });
  return { code: r.exitCode ?? -1, out: (r.stdout + r.stderr).trim() };
}

/** gfsdeploy ARGS…, in-process; its output is echoed (minus `ok` lines) for the CI log. */
export async function gfsdeploy(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await runCli(...args);
  const out = r.out + r.err;
  record(out);
  process.stderr.write(out.split("\n").filter((l) => !/^\s+ok\s/.test(l)).map((l) => `  | ${l}`).join("\n") + "\n");
  return { code: r.code, out };
}

export interface StepEnd {
  outcome: Outcome;
  reason?: string;
}

/** The steps of a `--json` run that did not end ok, by id, with their outcome and reason. */
export function notOk(out: string): Map<string, StepEnd> {
  const ends = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type: string; id?: string } & StepEnd)
    .filter((e) => e.type === "step-end" && e.outcome !== "ok");
  return new Map(ends.map((e) => [e.id ?? "", { outcome: e.outcome, ...(e.reason ? { reason: e.reason } : {}) }]));
}

/** Ids of `ran`'s changed steps that `plan` did not list as a change or pending: none, if the plan showed everything that ran. */
export function unplanned(plan: Map<string, StepEnd>, ran: Map<string, StepEnd>): string[] {
  return [...ran].filter(([id, e]) => e.outcome === "changed" && !["change", "pending"].includes(plan.get(id)?.outcome ?? "")).map(([id]) => id);
}

/** A duration for the log: `12.3 s`. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Polls `probe` every 3 s until it returns true; the time it took, or a failure naming what never happened. */
export async function until(what: string, timeoutS: number, probe: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) {
      process.stderr.write(`[e2e]   ${what}: ${seconds(Date.now() - t0)}\n`);
      return Date.now() - t0;
    }
    if (Date.now() - t0 > timeoutS * 1000) throw new Error(`${what}: not seen within ${timeoutS} s`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}
