import { PlanError } from "../errors.js";
import type { Playbook, Workflow } from "../playbook/types.js";
import type { ConcreteSpec, DrbdDialect, Spec } from "../spec/types.js";
import type { AnyStep, PcsDialect, Plan } from "./types.js";

/**
 * What every compiler checks first: the playbook is of the workflow it builds, and the spec
 * names a distribution (`auto` is resolved from the nodes before compiling, never here).
 */
export function concreteSpec(input: Spec, playbook: Playbook, workflow: Workflow, hint: string): ConcreteSpec {
  if (playbook.workflow !== workflow) {
    throw new PlanError(`playbook ${playbook.name} is a ${playbook.workflow} workflow, not ${workflow === "apply" ? "an" : "a"} ${workflow} workflow`, hint);
  }
  if (input.cluster.distro === "auto") {
    throw new PlanError("distro 'auto' needs the nodes' /etc/os-release", "set cluster.distro to debian13, debian12, ubuntu2404, el9, el8 or el7 to compile offline");
  }
  return input as ConcreteSpec;
}

/** A compiled plan: the spec's cluster, its dialects and how to reach each node, then the steps. */
export function planFor(spec: ConcreteSpec, drbd: DrbdDialect, pcs: PcsDialect, steps: AnyStep[]): Plan {
  return {
    apiVersion: "gfsdeploy/v1",
    cluster: spec.cluster.name,
    distro: spec.cluster.distro,
    drbd,
    pcs,
    nodes: spec.nodes.map((n) => ({ name: n.name, host: n.host, port: n.ssh?.port ?? spec.ssh.port, user: n.ssh?.user ?? spec.ssh.user, ring0: n.ring0 })),
    steps,
  };
}
