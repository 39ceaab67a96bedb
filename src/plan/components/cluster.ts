import type { StepId } from "../builder.js";
import type { Build, Teardown } from "./context.js";
import { fenceSecrets, type Fencing } from "./fencing.js";
import type { Prepared } from "./prepare.js";

/**
 * Cluster start: every node's corosync files are in place first. Returns the step that has
 * every node online and the cluster quorate.
 */
export function startCluster(c: Build, prepared: Prepared, corosyncFiles: StepId[], fencing: Fencing): StepId {
  const starts = c.spec.nodes.map((n) => {
    const { hostname, lockManagers } = prepared.nodes.of(n);
    return c.steps.add({
      id: `${n.name}/cluster/start`,
      host: n.name,
      kind: "cluster-start",
      params: { units: ["corosync.service", "pacemaker.service"] },
      dependsOn: [...corosyncFiles, hostname, ...lockManagers, fencing.sbd?.of(n)],
      source: "cluster",
      phase: "cluster",
      title: "corosync and pacemaker enabled and running",
    });
  });
  return c.steps.add({ id: "cluster/ready", host: c.first.name, kind: "cluster-ready", params: { nodes: c.spec.nodes.map((n) => n.name), timeoutSec: 900 }, dependsOn: starts, source: "nodes", phase: "cluster", title: "all nodes online, cluster quorate" });
}

/** Teardown, last: the cluster stops on every node. The packages stay installed. */
export function teardownCluster(t: Teardown, fencingRemoved: StepId): void {
  const files = ["/etc/corosync/corosync.conf", "/etc/corosync/authkey", ...fenceSecrets(t.spec).map((f) => f.file)];
  for (const n of t.spec.nodes) {
    t.steps.add({
      id: `${n.name}/destroy/cluster`,
      host: n.name,
      kind: "cluster-destroy",
      params: {
        units: ["pacemaker.service", "corosync.service"],
        partOf: t.spec.stonith.sbd ? ["sbd.service"] : [],
        files,
        dirs: ["/var/lib/pacemaker/cib", "/var/lib/pacemaker/pengine"],
      },
      dependsOn: [fencingRemoved],
      source: "cluster",
      phase: "teardown-cluster",
      title: "pacemaker and corosync stopped and disabled; corosync.conf, authkey and CIB removed",
    });
  }
}
