import { parseCrmMon } from "../steps/crm.js";
import type { NodeVersions } from "./types.js";

interface CommandOutput {
  code: number;
  text: string;
}

/** One node's facts, as `bench_node.py facts` prints them. */
export interface NodeFacts {
  crm_mon: CommandOutput;
  drbd: Record<string, { role: string; dstate: string; cstate: string }>;
  dlm: CommandOutput;
  mount: CommandOutput;
  tunegfs2: CommandOutput;
  /** Whether each program the bench runs is on the node's PATH. */
  tools: Record<string, boolean>;
  /** Journals in the filesystem's jindex, -1 when gfs2_edit failed. */
  journals: number;
  versions: NodeVersions;
}

/** What a healthy cluster looks like for this filesystem, from the spec. */
export interface Expectation {
  nodes: string[];
  /** Fence device ids that must be Started. */
  stonith: string[];
  resources: string[];
  mountpoint: string;
  lockTable: string;
  lockspace: string;
  journals: number;
  options: string[];
}

/**
 * Every reason the cluster is not fit to be measured, worst first per node; empty when it
 * is. A benchmark of a degraded cluster measures the degradation (a resync, a missing peer),
 * so the bench refuses rather than print numbers nobody should trust.
 */
export function healthProblems(expect: Expectation, facts: ReadonlyMap<string, NodeFacts>): string[] {
  const problems: string[] = [];
  for (const node of expect.nodes) {
    const f = facts.get(node);
    if (!f) {
      problems.push(`${node}: no facts (the node did not answer)`);
      continue;
    }
    const say = (what: string) => problems.push(`${node}: ${what}`);
    if (f.crm_mon.code !== 0) say(`pacemaker is not answering (crm_mon exited ${f.crm_mon.code})`);
    else {
      const state = parseCrmMon(f.crm_mon.text);
      if (!state.quorate) say("the cluster partition has no quorum");
      for (const n of expect.nodes) if (!state.online.includes(n)) say(`sees ${n} offline`);
      for (const failure of state.failures) say(`failed action: ${failure}`);
      for (const device of expect.stonith) {
        const roles = [...(state.roles.get(device)?.values() ?? [])];
        if (!roles.includes("Started")) say(`fence device ${device} is not started`);
      }
    }
    for (const r of expect.resources) {
      const d = f.drbd[r];
      if (!d) say(`DRBD ${r}: no state`);
      else if (!d.cstate && !d.role && !d.dstate) say(`DRBD ${r} is down`);
      else {
        if (d.cstate !== "Connected") say(`DRBD ${r} is ${d.cstate || "down"}, not Connected${/^Sync/.test(d.cstate) ? " (a resync is running)" : ""}`);
        if (d.role !== "Primary/Primary") say(`DRBD ${r} roles are ${d.role || "unknown"}, not Primary/Primary`);
        if (d.dstate !== "UpToDate/UpToDate") say(`DRBD ${r} disks are ${d.dstate || "unknown"}, not UpToDate/UpToDate`);
      }
    }
    const members = lockspaceMembers(f.dlm.text, expect.lockspace);
    if (members === undefined) say(`DLM lockspace ${expect.lockspace} is not joined`);
    else if (members.length !== expect.nodes.length) say(`DLM lockspace ${expect.lockspace} has ${members.length} member(s), not ${expect.nodes.length}`);
    const [, fstype, options = ""] = f.mount.text.split(/\s+/);
    if (f.mount.code !== 0 || fstype !== "gfs2") say(`${expect.mountpoint} is not a mounted GFS2 filesystem`);
    else for (const o of expect.options) if (!options.split(",").includes(o)) say(`${expect.mountpoint} is mounted without ${o}`);
    const table = /^Lock table:\s*(\S+)/m.exec(f.tunegfs2.text)?.[1];
    if (table !== expect.lockTable) say(`lock table is ${table ?? "unreadable"}, expected ${expect.lockTable}`);
    const missing = Object.entries(f.tools).filter(([, present]) => !present).map(([tool]) => tool);
    if (missing.length > 0) say(`${missing.join(", ")} not installed (set bench.enabled: true in the spec and run apply)`);
    if (f.journals !== expect.journals) say(`the filesystem has ${f.journals < 0 ? "an unreadable number of" : f.journals} journals, expected ${expect.journals}`);
  }
  return problems;
}

/** Node ids of a lockspace in `dlm_tool ls` output, or undefined when it is not listed. */
export function lockspaceMembers(text: string, name: string): string[] | undefined {
  for (const block of text.split(/\n(?=name\s)/)) {
    if (new RegExp(`^name\\s+${name}\\s*$`, "m").test(block)) {
      return (/^members\s+(.*)$/m.exec(block)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
    }
  }
  return undefined;
}
