import type { ConcreteSpec, NodeSpec, SbdSpec } from "../../spec/types.js";
import type { StepId } from "../builder.js";
import { fenceSecretPath } from "../cib.js";
import { type Build, isEl, root, STOP_TIMEOUT_SEC, type Teardown } from "./context.js";
import { type Handles, perNode } from "./handles.js";
import type { Prepared } from "./prepare.js";

/** A fence option given as a secret: a 0600 file on every node, read by the agent's *_script. */
export interface FenceSecret {
  device: string;
  key: string;
  /** The option's spec path, which names the secret. */
  path: string;
  /** Where it is kept on every node. */
  file: string;
}

export interface Fencing {
  /** sbd.service enabled on each node, where the spec uses SBD. */
  sbd: Handles<NodeSpec, StepId> | undefined;
  secrets: FenceSecret[];
  /** Every secret's file on every node: the CIB's fence devices read them. */
  secretFiles: StepId[];
}

export function fencing(c: Build, prepared: Prepared): Fencing {
  const sbd = c.spec.stonith.sbd && sbdSteps(c, prepared, c.spec.stonith.sbd);
  const secrets = fenceSecrets(c.spec);
  const secretFiles = secrets.flatMap((f) =>
    c.spec.nodes.map((n) =>
      c.steps.add({ id: `${n.name}/stonith/${f.device}/${f.key}`, host: n.name, kind: "secret-file", params: { secret: f.path, path: f.file, mode: 0o600, ...root }, dependsOn: [prepared.nodes.of(n).packages], source: f.path, phase: "fencing", title: `${f.device} ${f.key} file` }),
    ),
  );
  return { sbd, secrets, secretFiles };
}

/** SBD must be enabled before corosync starts: systemd pulls it in with corosync. */
function sbdSteps(c: Build, prepared: Prepared, sbd: SbdSpec): Handles<NodeSpec, StepId> {
  const { spec, steps } = c;
  const msgwait = sbd.msgwaitTimeout ?? 2 * sbd.watchdogTimeout;
  const device = steps.add({
    id: "cluster/sbd/device",
    host: c.first.name,
    kind: "sbd-device",
    params: { devices: sbd.devices, watchdogTimeout: sbd.watchdogTimeout, msgwaitTimeout: msgwait, commands: [["sbd", ...sbd.devices.flatMap((d) => ["-d", d]), "-1", String(sbd.watchdogTimeout), "-4", String(msgwait), "create"]] },
    dependsOn: prepared.nodes.all().map((p) => p.packages),
    source: "stonith.sbd",
    phase: "fencing",
    title: `SBD header on ${sbd.devices.join(", ")}`,
    destructive: true,
  });
  const sysconfig = c.templates.render("sbd/sbd", { devices: sbd.devices.join(";"), watchdog: sbd.watchdog, watchdogTimeout: sbd.watchdogTimeout });
  return perNode(spec.nodes, (n) => {
    const { packages } = prepared.nodes.of(n);
    const config = steps.add({ id: `${n.name}/sbd/config`, host: n.name, kind: "file", params: { path: isEl(spec) ? "/etc/sysconfig/sbd" : "/etc/default/sbd", content: sysconfig, mode: 0o644, ...root }, dependsOn: [packages], source: "stonith.sbd", phase: "fencing", title: "SBD settings" });
    // SBD_DELAY_START holds sbd (and with it the cluster) for msgwait at start: its start
    // must be allowed longer than that, and systemd's default is 90 s.
    const startTimeout = steps.add({
      id: `${n.name}/sbd/start-timeout`,
      host: n.name,
      kind: "file",
      params: { path: "/etc/systemd/system/sbd.service.d/gfsdeploy-start-timeout.conf", content: `# Managed by gfsdeploy: msgwait (${msgwait} s) of start delay, then time to start.\n[Service]\nTimeoutStartSec=${msgwait + 120}\n`, mode: 0o644, ...root, onChange: "systemd-reload" },
      dependsOn: [packages],
      source: "stonith.sbd",
      phase: "fencing",
      title: "sbd may take msgwait to start",
    });
    return steps.add({ id: `${n.name}/service/sbd.service`, host: n.name, kind: "service", params: { unit: "sbd.service", enabled: true }, dependsOn: [config, startTimeout, device], source: "stonith.sbd", phase: "fencing", title: "sbd starts with the cluster" });
  });
}

/** Every fence option given as a secret, in the spec's order. */
export function fenceSecrets(spec: ConcreteSpec): FenceSecret[] {
  return spec.stonith.devices.flatMap((d, i) =>
    Object.entries(d.options)
      .filter(([, value]) => typeof value === "object")
      .map(([key]) => ({ device: d.name, key, path: `stonith.devices[${i}].options.${key}`, file: fenceSecretPath(d.name, key) })),
  );
}

/** Teardown: the fence devices leave the CIB once nothing they protect runs. */
export function removeFencing(t: Teardown, after: StepId[]): StepId {
  return t.steps.add({
    id: "cluster/destroy/cib/fencing",
    host: t.first.name,
    kind: "cib-remove",
    params: { stage: "fencing", resources: t.spec.stonith.devices.map((d) => ({ id: d.name, stonith: true })), timeoutSec: STOP_TIMEOUT_SEC },
    dependsOn: after,
    source: "stonith",
    phase: "teardown-fencing",
    title: "CIB: fence devices removed",
  });
}
