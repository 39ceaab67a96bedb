import type { StepId } from "../builder.js";
import { type Build, isEl, root } from "./context.js";
import type { Prepared } from "./prepare.js";

/**
 * Our own corosync.conf and authkey on every node, so a re-run never needs `pcs cluster setup`.
 * Returns every node's two files: a node starts its cluster stack only once all are in place.
 */
export function corosync(c: Build, prepared: Prepared): StepId[] {
  const { spec, steps } = c;
  const content = c.templates.render("corosync/corosync.conf", {
    cluster: spec.cluster.name,
    transport: spec.corosync.transport,
    token: spec.corosync.token,
    // knet encrypts; corosync 2 (EL7) encrypts udpu too, corosync 3 refuses crypto there.
    crypto: spec.corosync.transport === "knet" || spec.cluster.distro === "el7" ? spec.corosync.crypto : null,
    twoNode: spec.corosync.twoNode ?? spec.nodes.length === 2,
    logfile: isEl(spec) ? "/var/log/cluster/corosync.log" : "/var/log/corosync/corosync.log",
    nodes: spec.nodes.map((n, i) => ({ name: n.name, ring0: n.ring0, ring1: n.ring1 ?? null, nodeid: i + 1 })),
  });
  return spec.nodes.flatMap((n) => {
    const { packages } = prepared.nodes.of(n);
    return [
      steps.add({ id: `${n.name}/corosync/conf`, host: n.name, kind: "file", params: { path: "/etc/corosync/corosync.conf", content, mode: 0o644, ...root, onChange: "corosync-reload" }, dependsOn: [packages], source: "corosync", phase: "corosync", title: "corosync.conf" }),
      steps.add({ id: `${n.name}/corosync/authkey`, host: n.name, kind: "secret-file", params: { secret: "secrets.authkey", path: "/etc/corosync/authkey", mode: 0o400, ...root, generate: "corosync-authkey", restarts: ["corosync"] }, dependsOn: [packages], source: "secrets.authkey", phase: "corosync", title: "corosync authkey" }),
    ];
  });
}
