import { pythonFor } from "../../spec/defaults.js";
import type { ConcreteSpec, NodeSpec } from "../../spec/types.js";
import type { StepId } from "../builder.js";
import { repos } from "../repos.js";
import type { StepParams } from "../types.js";
import type { Build } from "./context.js";
import { type Handles, perNode } from "./handles.js";

/** A node ready for the cluster stack: its packages, names and pcsd. */
export interface PreparedNode {
  packages: StepId;
  hostname: StepId;
  /** Node names resolve to ring0 addresses. */
  hosts: StepId;
  /** dlm, lvmlockd and lvmlocks left to Pacemaker: corosync may start only once they are. */
  lockManagers: StepId[];
  haclusterPassword: StepId;
  pcsd: StepId;
}

export interface Prepared {
  nodes: Handles<NodeSpec, PreparedNode>;
  /** pcs holds a token for every node: what the CIB stages need. */
  pcsAuth: StepId;
}

/** Per-node preparation: packages, names, the secrets pcs and corosync need. */
export function prepare(c: Build): Prepared {
  const repoParams = repos(c.spec);
  const nodes = perNode(c.spec.nodes, (n, i) => prepareNode(c, n, i, repoParams));
  const pcsAuth = c.steps.add({
    id: "cluster/pcs-auth",
    host: c.first.name,
    kind: "pcs-auth",
    params: { secret: "secrets.haclusterPassword", nodes: c.spec.nodes.map((n) => ({ name: n.name, address: n.ring0 })), dialect: c.pcs, python: pythonFor(c.spec.cluster.distro) },
    dependsOn: nodes.all().flatMap((p) => [p.pcsd, p.haclusterPassword, p.hosts]),
    source: "secrets.haclusterPassword",
    phase: "prepare",
    title: "pcs authenticated to every node",
  });
  return { nodes, pcsAuth };
}

function prepareNode(c: Build, n: NodeSpec, index: number, repoParams: StepParams["repos"] | undefined): PreparedNode {
  const { spec, steps } = c;
  const repoStep = repoParams && steps.add({ id: `${n.name}/repos`, host: n.name, kind: "repos", params: repoParams, source: "cluster.repos", phase: "prepare", title: "cluster and DRBD repositories enabled" });
  const packages = steps.add({ id: `${n.name}/packages`, host: n.name, kind: "packages", params: clusterPackages(spec), dependsOn: [repoStep], source: "cluster.distro", phase: "prepare", title: "cluster packages installed" });
  const hostname = steps.add({ id: `${n.name}/hostname`, host: n.name, kind: "hostname", params: { name: n.name }, source: `nodes[${index}].name`, phase: "prepare", title: `hostname is ${n.name}` });
  const hosts = steps.add({
    id: `${n.name}/hosts`,
    host: n.name,
    kind: "hosts",
    params: { entries: spec.nodes.map((m) => ({ address: m.ring0, names: [m.name] })) },
    source: "nodes",
    phase: "prepare",
    title: "node names resolve to ring0 addresses",
  });
  // Pacemaker starts dlm and lvmlockd; units started by systemd as well would race it.
  const lockManagers = ["dlm.service", "lvmlockd.service", "lvmlocks.service"].map((unit) =>
    steps.add({ id: `${n.name}/service/${unit}`, host: n.name, kind: "service", params: { unit, enabled: false, active: false }, dependsOn: [packages], source: "lvm.locking", phase: "prepare", title: `${unit} left to Pacemaker` }),
  );
  // clvmd cannot work beside lvmetad's cache, which `lvmconf --enable-cluster` turns off too.
  for (const unit of spec.lvm.locking === "clvmd" ? ["lvm2-lvmetad.socket", "lvm2-lvmetad.service"] : []) {
    steps.add({ id: `${n.name}/service/${unit}`, host: n.name, kind: "service", params: { unit, enabled: false, active: false }, dependsOn: [packages], source: "lvm.locking", phase: "prepare", title: `${unit} off (clvmd does not use lvmetad)` });
  }
  const haclusterPassword = steps.add({ id: `${n.name}/hacluster-password`, host: n.name, kind: "hacluster-password", params: { secret: "secrets.haclusterPassword", user: "hacluster", python: pythonFor(spec.cluster.distro) }, dependsOn: [packages], source: "secrets.haclusterPassword", phase: "prepare", title: "hacluster password set" });
  const pcsd = steps.add({ id: `${n.name}/service/pcsd.service`, host: n.name, kind: "service", params: { unit: "pcsd.service", enabled: true, active: true }, dependsOn: [packages], source: "cluster", phase: "prepare", title: "pcsd running" });
  return { packages, hostname, hosts, lockManagers, haclusterPassword, pcsd };
}

/** Packages for the whole stack, per distribution family. */
function clusterPackages(spec: ConcreteSpec): { manager: "apt" | "dnf" | "yum"; names: string[] } {
  const sbd = spec.stonith.sbd ? ["sbd"] : [];
  // ctdb only for its ping_pong, the POSIX-lock bouncing test.
  const bench = spec.bench.enabled ? ["fio", "iperf3", "ctdb"] : [];
  switch (spec.cluster.distro) {
    // trixie splits fence-agents into one package per agent; fence-agents pulls in
    // fence-agents-all, which has every agent but fence_sbd (only Suggested): seen on the
    // test bed, where pcs refused `stonith create … fence_sbd` for want of the agent.
    case "debian13": {
      const fenceSbd = spec.stonith.devices.some((d) => d.agent === "fence_sbd") ? ["fence-agents-sbd"] : [];
      return {
        manager: "apt",
        names: ["corosync", "pacemaker", "pacemaker-cli-utils", "pcs", "dlm-controld", "lvm2", "lvm2-lockd", "gfs2-utils", "drbd-utils", "resource-agents", "fence-agents", ...fenceSbd, ...sbd, ...bench],
      };
    }
    case "debian12":
      return {
        manager: "apt",
        names: ["corosync", "pacemaker", "pacemaker-cli-utils", "pcs", "dlm-controld", "lvm2", "lvm2-lockd", "gfs2-utils", "drbd-utils", "resource-agents", "fence-agents", ...sbd, ...bench],
      };
    case "ubuntu2404":
      return {
        manager: "apt",
        names: ["corosync", "pacemaker", "pacemaker-cli-utils", "pcs", "dlm-controld", "lvm2", "lvm2-lockd", "gfs2-utils", "drbd-utils", "resource-agents-base", "resource-agents-extra", "fence-agents-base", "fence-agents-extra", ...sbd, ...bench],
      };
    case "el9":
    case "el8":
      return {
        manager: "dnf",
        names: ["corosync", "pacemaker", "pcs", "fence-agents-all", "dlm", "lvm2", "lvm2-lockd", "gfs2-utils", "kmod-drbd9x", "drbd9x-utils", ...sbd, ...bench],
      };
    case "el7":
      return {
        manager: "yum",
        names: ["corosync", "pacemaker", "pcs", "fence-agents-all", "dlm", "lvm2-cluster", "gfs2-utils", "kmod-drbd84", "drbd84-utils", ...sbd, ...bench],
      };
  }
}
