/**
 * What a correct GFS2-over-DRBD CIB must show in the simulator, as a list of failures (empty
 * = correct). Tests run it on the real render and on mutated renders, proving it can fail.
 */
import type { Plan } from "../../src/plan/types.js";
import type { CibResult } from "./checkers.js";

export interface ClusterShape {
  nodes: string[];
  drbd: string[];
  /** Primitive ids inside the locking clone, in start order (dlm first). */
  locking: string[];
  /** Per filesystem: its clone id, primitives in start order, and the DRBD resources under it. */
  filesystems: { clone: string; primitives: string[]; drbd: string[] }[];
  /** Fence device id → the nodes it fences (it must not run there). */
  fencing: Record<string, string[]>;
  /** Clone id of each DRBD resource. */
  drbdClone: (resource: string) => string;
}

/** Reads the expected shape off a plan's CIB commands (ids, groups, DRBD per filesystem). */
export function shapeOf(plan: Plan): ClusterShape {
  const commands = plan.steps.flatMap((s) => (s.kind === "cib" ? s.params.commands : []));
  const groupMembers = (group: string) => commands.filter((c) => c[0] === "resource" && c[1] === "create" && c.at(-1) === group && c.at(-2) === "--group").map((c) => c[2] as string);
  const fencing: Record<string, string[]> = {};
  for (const c of commands) {
    if (c[0] === "stonith" && c[1] === "create") {
      const hosts = c.find((a) => a.startsWith("pcmk_host_list="))?.split("=")[1]?.split(",") ?? [];
      fencing[c[2] as string] = hosts;
    }
  }
  const drbd = commands.filter((c) => c[0] === "resource" && c[3] === "ocf:linbit:drbd").map((c) => (c.find((a) => a.startsWith("drbd_resource=")) as string).split("=")[1] as string);
  const filesystems = commands
    .filter((c) => c[0] === "resource" && c[1] === "clone" && c[2] !== "locking")
    .map((c) => {
      const group = c[2] as string;
      const clone = `${group}-clone`;
      const colocated = commands.filter((x) => x[0] === "constraint" && x[1] === "colocation" && x[3] === clone && /^drbd_/.test(x.at(-1) ?? "")).map((x) => (x.at(-1) as string).replace(/^drbd_/, "").replace(/-(clone|master)$/, ""));
      return { clone, primitives: groupMembers(group), drbd: colocated };
    });
  return {
    nodes: plan.nodes.map((n) => n.name),
    drbd,
    locking: groupMembers("locking"),
    filesystems,
    fencing,
    drbdClone: (r) => `drbd_${r}-${plan.pcs === "0.9" ? "master" : "clone"}`,
  };
}

const action = (id: string, op: string) => new RegExp(`^${id}:\\d+_${op}_0$`);
const primitiveStart = (id: string) => new RegExp(`^${id}(:\\d+)?_start_0$`);

/** Ordering: on every node, DRBD promote → locking (in group order) → each filesystem (in group order). */
export function orderingFailures(cib: CibResult, shape: ClusterShape): string[] {
  const failures: string[] = cib.transitionOk ? [] : ["the simulator could not complete the transition"];
  const check = (a: RegExp, b: RegExp, node: string, label: string) => {
    try {
      if (!cib.graph.ordered(a, b, node)) failures.push(`${label} on ${node}`);
    } catch (e) {
      failures.push(`${label} on ${node}: ${(e as Error).message}`);
    }
  };
  for (const node of shape.nodes) {
    const firstLock = shape.locking[0] as string;
    for (const r of shape.drbd) check(action(`drbd_${r}`, "promote"), action(firstLock, "start"), node, `promote drbd_${r} before ${firstLock}`);
    shape.locking.slice(1).forEach((p, i) => check(action(shape.locking[i] as string, "start"), action(p, "start"), node, `${shape.locking[i]} before ${p}`));
    const lastLock = shape.locking.at(-1) as string;
    for (const fs of shape.filesystems) {
      const firstFs = fs.primitives[0] as string;
      check(action(lastLock, "start"), primitiveStart(firstFs), node, `${lastLock} before ${firstFs}`);
      for (const r of fs.drbd) check(action(`drbd_${r}`, "promote"), primitiveStart(firstFs), node, `promote drbd_${r} before ${firstFs}`);
      fs.primitives.slice(1).forEach((p, i) => check(primitiveStart(fs.primitives[i] as string), primitiveStart(p), node, `${fs.primitives[i]} before ${p}`));
    }
  }
  return failures;
}

/** Final roles: filesystems run only where their DRBD is Promoted; fence devices never on their targets. */
export function placementFailures(cib: CibResult, shape: ClusterShape, expectFsOn: string[]): string[] {
  const failures: string[] = cib.transitionOk ? [] : ["the simulator could not complete the transition"];
  for (const fs of shape.filesystems) {
    const started = [...(cib.roles.get(fs.clone) ?? new Map<string, string>()).entries()].filter(([, role]) => role === "Started").map(([n]) => n).sort();
    if (started.join(",") !== [...expectFsOn].sort().join(",")) failures.push(`${fs.clone} started on [${started.join(",")}], expected [${[...expectFsOn].sort().join(",")}]`);
    for (const node of started) {
      for (const r of fs.drbd) {
        const role = cib.roles.get(shape.drbdClone(r))?.get(node);
        if (role !== "Promoted" && role !== "Master") failures.push(`${fs.clone} started on ${node} where drbd_${r} is ${role ?? "absent"}`);
      }
    }
  }
  for (const [device, targets] of Object.entries(shape.fencing)) {
    const where = [...(cib.roles.get(device)?.keys() ?? [])];
    if (where.length === 0) failures.push(`fence device ${device} is not running`);
    for (const node of where) if (targets.length === 1 && targets.includes(node)) failures.push(`fence device ${device} runs on its own target ${node}`);
  }
  return failures;
}
