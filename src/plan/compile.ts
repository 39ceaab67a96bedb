import { resolveDevice } from "../spec/refs.js";
import { backingDisk, drbdDialect, pythonFor } from "../spec/defaults.js";
import type { ConcreteSpec, DrbdDialect, NodeSpec, Spec } from "../spec/types.js";
import { TemplateSet, type TemplateSources } from "../render/templates.js";
import type { Playbook } from "../playbook/types.js";
import { PlanBuilder } from "./builder.js";
import { concreteSpec, planFor } from "./concrete.js";
import { baseCommands, baseResources, fenceSecretPath, filesystemCommands, ids, pcsDialect } from "./cib.js";
import { repos } from "./repos.js";
import type { Plan, StepParams } from "./types.js";

const root = { owner: "root", group: "root" } as const;

/** Packages for the whole stack, per distribution family. */
function packages(spec: ConcreteSpec): { manager: "apt" | "dnf" | "yum"; names: string[] } {
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

function isEl(spec: ConcreteSpec): boolean {
  return spec.cluster.distro.startsWith("el");
}

function regexEscape(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * spec → Plan. Pure: no file system, clock, environment or network; the templates come in
 * as text and the playbook (playbooks/site.yaml for apply) as data. Steps are returned in
 * dependency order, phase by phase in the playbook's order.
 */
/**
 * `forced`: devices the user allowed destructive steps to overwrite (`--force-device`); their
 * steps get the commands that overwrite (pvcreate -ff -y, wipefs before create-md), so the
 * plan shows exactly what apply runs.
 */
export function compile(input: Spec, templateSources: TemplateSources, playbook: Playbook, options: { forced?: readonly string[] } = {}): Plan {
  const forced = new Set(options.forced ?? []);
  const spec = concreteSpec(input, playbook, "apply", "compile builds the apply plan: use an apply playbook such as site");
  const dialect = drbdDialect(spec) as DrbdDialect;
  const pcs = pcsDialect(spec);
  const t = new TemplateSet(templateSources);
  const b = new PlanBuilder();
  const first = spec.nodes[0] as NodeSpec;
  const nodeNames = spec.nodes.map((n) => n.name);
  const el = isEl(spec);

  // Per-node preparation: packages, names, the secrets pcs and corosync need.
  const per = (n: NodeSpec, suffix: string) => `${n.name}/${suffix}`;
  const repoParams = repos(spec);
  for (const n of spec.nodes) {
    const repoStep = repoParams && b.add({ id: per(n, "repos"), host: n.name, kind: "repos", params: repoParams, source: "cluster.repos", phase: "prepare", title: "cluster and DRBD repositories enabled" });
    b.add({ id: per(n, "packages"), host: n.name, kind: "packages", params: packages(spec), dependsOn: [repoStep], source: "cluster.distro", phase: "prepare", title: "cluster packages installed" });
    b.add({ id: per(n, "hostname"), host: n.name, kind: "hostname", params: { name: n.name }, source: `nodes[${spec.nodes.indexOf(n)}].name`, phase: "prepare", title: `hostname is ${n.name}` });
    b.add({
      id: per(n, "hosts"),
      host: n.name,
      kind: "hosts",
      params: { entries: spec.nodes.map((m) => ({ address: m.ring0, names: [m.name] })) },
      source: "nodes",
      phase: "prepare",
      title: "node names resolve to ring0 addresses",
    });
    // Pacemaker starts dlm and lvmlockd; units started by systemd as well would race it.
    for (const unit of ["dlm.service", "lvmlockd.service", "lvmlocks.service"]) {
      b.add({ id: per(n, `service/${unit}`), host: n.name, kind: "service", params: { unit, enabled: false, active: false }, dependsOn: [per(n, "packages")], source: "lvm.locking", phase: "prepare", title: `${unit} left to Pacemaker` });
    }
    // clvmd cannot work beside lvmetad's cache, which `lvmconf --enable-cluster` turns off too.
    for (const unit of spec.lvm.locking === "clvmd" ? ["lvm2-lvmetad.socket", "lvm2-lvmetad.service"] : []) {
      b.add({ id: per(n, `service/${unit}`), host: n.name, kind: "service", params: { unit, enabled: false, active: false }, dependsOn: [per(n, "packages")], source: "lvm.locking", phase: "prepare", title: `${unit} off (clvmd does not use lvmetad)` });
    }
    b.add({ id: per(n, "hacluster-password"), host: n.name, kind: "hacluster-password", params: { secret: "secrets.haclusterPassword", user: "hacluster", python: pythonFor(spec.cluster.distro) }, dependsOn: [per(n, "packages")], source: "secrets.haclusterPassword", phase: "prepare", title: "hacluster password set" });
    b.add({ id: per(n, "service/pcsd.service"), host: n.name, kind: "service", params: { unit: "pcsd.service", enabled: true, active: true }, dependsOn: [per(n, "packages")], source: "cluster", phase: "prepare", title: "pcsd running" });
  }
  b.add({
    id: "cluster/pcs-auth",
    host: first.name,
    kind: "pcs-auth",
    params: { secret: "secrets.haclusterPassword", nodes: spec.nodes.map((n) => ({ name: n.name, address: n.ring0 })), dialect: pcs, python: pythonFor(spec.cluster.distro) },
    dependsOn: spec.nodes.flatMap((n) => [per(n, "service/pcsd.service"), per(n, "hacluster-password"), per(n, "hosts")]),
    source: "secrets.haclusterPassword",
    phase: "prepare",
    title: "pcs authenticated to every node",
  });

  // Corosync: our own corosync.conf and authkey, so a re-run never needs `pcs cluster setup`.
  const corosyncConf = t.render("corosync/corosync.conf", {
    cluster: spec.cluster.name,
    transport: spec.corosync.transport,
    token: spec.corosync.token,
    // knet encrypts; corosync 2 (EL7) encrypts udpu too, corosync 3 refuses crypto there.
    crypto: spec.corosync.transport === "knet" || spec.cluster.distro === "el7" ? spec.corosync.crypto : null,
    twoNode: spec.corosync.twoNode ?? spec.nodes.length === 2,
    logfile: el ? "/var/log/cluster/corosync.log" : "/var/log/corosync/corosync.log",
    nodes: spec.nodes.map((n, i) => ({ name: n.name, ring0: n.ring0, ring1: n.ring1 ?? null, nodeid: i + 1 })),
  });
  for (const n of spec.nodes) {
    b.add({ id: per(n, "corosync/conf"), host: n.name, kind: "file", params: { path: "/etc/corosync/corosync.conf", content: corosyncConf, mode: 0o644, ...root, onChange: "corosync-reload" }, dependsOn: [per(n, "packages")], source: "corosync", phase: "corosync", title: "corosync.conf" });
    b.add({ id: per(n, "corosync/authkey"), host: n.name, kind: "secret-file", params: { secret: "secrets.authkey", path: "/etc/corosync/authkey", mode: 0o400, ...root, generate: "corosync-authkey", restarts: ["corosync"] }, dependsOn: [per(n, "packages")], source: "secrets.authkey", phase: "corosync", title: "corosync authkey" });
  }

  // SBD must be enabled before corosync starts: systemd pulls it in with corosync.
  const sbd = spec.stonith.sbd;
  let sbdDevice: string | undefined;
  if (sbd) {
    const msgwait = sbd.msgwaitTimeout ?? 2 * sbd.watchdogTimeout;
    sbdDevice = b.add({
      id: "cluster/sbd/device",
      host: first.name,
      kind: "sbd-device",
      params: { devices: sbd.devices, watchdogTimeout: sbd.watchdogTimeout, msgwaitTimeout: msgwait, commands: [["sbd", ...sbd.devices.flatMap((d) => ["-d", d]), "-1", String(sbd.watchdogTimeout), "-4", String(msgwait), "create"]] },
      dependsOn: spec.nodes.map((n) => per(n, "packages")),
      source: "stonith.sbd",
      phase: "fencing",
      title: `SBD header on ${sbd.devices.join(", ")}`,
      destructive: true,
    });
    const sysconfig = t.render("sbd/sbd", { devices: sbd.devices.join(";"), watchdog: sbd.watchdog, watchdogTimeout: sbd.watchdogTimeout });
    for (const n of spec.nodes) {
      b.add({ id: per(n, "sbd/config"), host: n.name, kind: "file", params: { path: el ? "/etc/sysconfig/sbd" : "/etc/default/sbd", content: sysconfig, mode: 0o644, ...root }, dependsOn: [per(n, "packages")], source: "stonith.sbd", phase: "fencing", title: "SBD settings" });
      // SBD_DELAY_START holds sbd (and with it the cluster) for msgwait at start: its start
      // must be allowed longer than that, and systemd's default is 90 s.
      b.add({
        id: per(n, "sbd/start-timeout"),
        host: n.name,
        kind: "file",
        params: { path: "/etc/systemd/system/sbd.service.d/gfsdeploy-start-timeout.conf", content: `# Managed by gfsdeploy: msgwait (${msgwait} s) of start delay, then time to start.\n[Service]\nTimeoutStartSec=${msgwait + 120}\n`, mode: 0o644, ...root, onChange: "systemd-reload" },
        dependsOn: [per(n, "packages")],
        source: "stonith.sbd",
        phase: "fencing",
        title: "sbd may take msgwait to start",
      });
      b.add({ id: per(n, "service/sbd.service"), host: n.name, kind: "service", params: { unit: "sbd.service", enabled: true }, dependsOn: [per(n, "sbd/config"), per(n, "sbd/start-timeout"), sbdDevice], source: "stonith.sbd", phase: "fencing", title: "sbd starts with the cluster" });
    }
  }
  // Fence options given as secrets: a 0600 file on every node, read by the agent's *_script.
  const fenceSecrets = spec.stonith.devices.flatMap((d, i) =>
    Object.entries(d.options)
      .filter(([, value]) => typeof value === "object")
      .map(([key]) => ({ device: d.name, key, path: `stonith.devices[${i}].options.${key}`, file: fenceSecretPath(d.name, key) })),
  );
  const fenceSecretSteps = fenceSecrets.flatMap((f) =>
    spec.nodes.map((n) =>
      b.add({ id: per(n, `stonith/${f.device}/${f.key}`), host: n.name, kind: "secret-file", params: { secret: f.path, path: f.file, mode: 0o600, ...root }, dependsOn: [per(n, "packages")], source: f.path, phase: "fencing", title: `${f.device} ${f.key} file` }),
    ),
  );

  // DRBD: files, metadata, first sync. Pacemaker promotes later.
  const drbdFiles = new Map<string, string[]>();
  for (const n of spec.nodes) {
    const id = b.add({ id: per(n, "drbd/global"), host: n.name, kind: "file", params: { path: "/etc/drbd.d/global_common.conf", content: t.render("drbd/global_common.conf", {}), mode: 0o644, ...root }, dependsOn: [per(n, "packages")], source: "drbd", phase: "drbd", title: "DRBD global settings" });
    drbdFiles.set(n.name, [id]);
  }
  const initialSyncs: string[] = [];
  spec.drbd.resources.forEach((r, i) => {
    const source = `drbd.resources[${i}]`;
    const content = t.render(`drbd/resource-${dialect}.res`, {
        source,
      name: r.name,
      minor: r.minor,
      port: r.port,
      protocol: spec.drbd.protocol,
      afterSb: spec.drbd.afterSb,
      resyncRate: spec.drbd.resyncRate ?? null,
      hosts: spec.nodes.map((n, nodeId) => ({ name: n.name, nodeId, disk: backingDisk(spec, r.name, n.name), address: n.ring0 })),
    });
    const device = `/dev/drbd${r.minor}`;
    const ups: string[] = [];
    for (const n of spec.nodes) {
      const disk = backingDisk(spec, r.name, n.name) as string;
      const res = b.add({ id: per(n, `drbd/${r.name}/res`), host: n.name, kind: "file", params: { path: `/etc/drbd.d/${r.name}.res`, content, mode: 0o644, ...root, onChange: "drbd-adjust", resource: r.name }, dependsOn: [per(n, "packages"), per(n, "hosts")], source, phase: "drbd", title: `DRBD resource ${r.name} file` });
      drbdFiles.get(n.name)?.push(res);
      const md = b.add({
        id: per(n, `drbd/${r.name}/create-md`),
        host: n.name,
        kind: "drbd-create-md",
        // Forced over a filesystem: drbdmeta refuses (exit 40) to put metadata over one it
        // finds, --force or not, so the signatures the user chose to overwrite go first.
        params: { resource: r.name, disk, device, dialect, commands: [...(forced.has(disk) ? [["wipefs", "--all", disk]] : []), ["drbdadm", "create-md", "--force", r.name]] },
        dependsOn: [res, per(n, "drbd/global")],
        source,
        phase: "drbd",
        title: `DRBD metadata for ${r.name} on ${disk}`,
        destructive: true,
      });
      ups.push(b.add({ id: per(n, `drbd/${r.name}/up`), host: n.name, kind: "drbd-up", params: { resource: r.name, commands: [["drbdadm", "up", r.name]], reconnect: [["drbdadm", "adjust", r.name]] }, dependsOn: [md], source, phase: "drbd", title: `${r.name} attached and connecting` }));
    }
    const sync =
      spec.drbd.initialSync === "skip"
        ? [["drbdadm", "new-current-uuid", "--clear-bitmap", r.name]]
        : [["drbdadm", "primary", "--force", r.name], ["drbdadm", "secondary", r.name]];
    initialSyncs.push(
      b.add({ id: `cluster/drbd/${r.name}/initial-sync`, host: first.name, kind: "drbd-initial-sync", params: { resource: r.name, mode: spec.drbd.initialSync, commands: sync }, dependsOn: ups, source: "drbd.initialSync", phase: "drbd", title: `${r.name} ${spec.drbd.initialSync === "skip" ? "bitmap cleared (blank disks)" : "initial full sync started"}` }),
    );
  });

  // Cluster start: every node's corosync files are in place first.
  const starts = spec.nodes.map((n) =>
    b.add({
      id: per(n, "cluster/start"),
      host: n.name,
      kind: "cluster-start",
      params: { units: ["corosync.service", "pacemaker.service"] },
      dependsOn: [
        ...spec.nodes.flatMap((m) => [per(m, "corosync/conf"), per(m, "corosync/authkey")]),
        per(n, "hostname"),
        per(n, "service/dlm.service"),
        per(n, "service/lvmlockd.service"),
        per(n, "service/lvmlocks.service"),
        sbd ? per(n, "service/sbd.service") : undefined,
      ],
      source: "cluster",
      phase: "cluster",
      title: "corosync and pacemaker enabled and running",
    }),
  );
  const ready = b.add({ id: "cluster/ready", host: first.name, kind: "cluster-ready", params: { nodes: nodeNames, timeoutSec: 900 }, dependsOn: starts, source: "nodes", phase: "cluster", title: "all nodes online, cluster quorate" });

  // LVM reads lvmlocal.conf before lvm.conf; the DRBD backing disks are never scanned for PVs.
  const lvmConf = new Map<string, string>();
  for (const n of spec.nodes) {
    const rejects = spec.drbd.resources.map((r) => regexEscape(backingDisk(spec, r.name, n.name) as string));
    const content = t.render("lvm/lvmlocal.conf", { lvmlockd: spec.lvm.locking === "lvmlockd", clvmd: spec.lvm.locking === "clvmd", rejects });
    lvmConf.set(n.name, b.add({ id: per(n, "lvm/conf"), host: n.name, kind: "file", params: { path: "/etc/lvm/lvmlocal.conf", content, mode: 0o644, ...root }, dependsOn: [per(n, "packages")], source: "lvm", phase: "locking", title: "LVM: lock manager and DRBD-only PV scan" }));
  }

  // CIB stage 1: fencing, DRBD promotion, locking. Stage 2 (mounts) waits for mkfs.
  const cibBase = b.add({
    id: "cluster/cib/base",
    host: first.name,
    kind: "cib",
    params: { stage: "base", dialect: pcs, python: pythonFor(spec.cluster.distro), prior: [], commands: baseCommands(spec), resources: baseResources(spec), secrets: fenceSecrets.map(({ path, file }) => ({ path, file })) },
    dependsOn: [
      ready,
      "cluster/pcs-auth",
      ...initialSyncs,
      ...spec.nodes.flatMap((n) => [...(drbdFiles.get(n.name) ?? []), lvmConf.get(n.name)]),
      ...fenceSecretSteps,
    ],
    source: "stonith",
    phase: "locking",
    title: "CIB: properties, fencing, DRBD promotable clones, dlm/lock-manager clone",
  });
  const baseUp = b.add({
    id: "cluster/wait/base",
    host: first.name,
    kind: "wait-resources",
    params: {
      resources: [...spec.drbd.resources.map((r) => ({ id: ids.drbdClone(r.name, pcs), role: "Promoted" as const })), { id: ids.lockingClone, role: "Started" as const }],
      nodes: nodeNames,
      timeoutSec: 900,
    },
    dependsOn: [cibBase],
    source: "drbd",
    phase: "locking",
    title: "DRBD promoted and lock managers running on every node",
  });

  // Larger backing disks: DRBD grows first, from one node, once Pacemaker runs it everywhere
  // (connected, so both nodes agree on the new size), and only after every node's resource file
  // names the disks it is to measure.
  const drbdResizes = new Map<string, string>();
  const drbdGrowth = new Map<string, StepParams["pvresize"]["drbd"]>();
  spec.drbd.resources.forEach((r, i) => {
    const grown = { resource: r.name, disk: backingDisk(spec, r.name, first.name) as string, dialect, peers: spec.nodes.length - 1 };
    drbdGrowth.set(r.name, grown);
    drbdResizes.set(
      r.name,
      b.add({
        id: `cluster/drbd/${r.name}/resize`,
        host: first.name,
        kind: "drbd-resize",
        params: { ...grown, device: `/dev/drbd${r.minor}`, commands: [["drbdadm", "resize", r.name]] },
        dependsOn: [baseUp, ...spec.nodes.map((n) => per(n, `drbd/${r.name}/res`))],
        source: `drbd.resources[${i}]`,
        phase: "grow",
        title: `DRBD ${r.name} uses all of its backing disks`,
      }),
    );
  });

  // Shared storage, created once from the first node.
  const lvReady = new Map<string, string>();
  const lvRefreshes = new Map<string, string[]>();
  const lvSizes = new Map<string, string>();
  const lvGrown = new Map<string, string>();
  const pvIds = new Map<string, string>();
  spec.lvm.volumeGroups.forEach((vg, i) => {
    const source = `lvm.volumeGroups[${i}]`;
    const refs = vg.pvs.map((pv) => resolveDevice(spec, pv));
    const devices = refs.map((r) => r.path);
    const pvResizes: string[] = [];
    devices.forEach((device, j) => {
      const minor = device.slice("/dev/drbd".length);
      // EL8/EL9 LVM may read a devices file: every node must list the DRBD device in it or
      // ignore the PV the first node makes there.
      const listed = el && spec.lvm.locking === "lvmlockd"
        ? spec.nodes.map((n) => b.add({ id: per(n, `lvm/devices/drbd${minor}`), host: n.name, kind: "lvm-device", params: { device, commands: [["lvmdevices", "--adddev", device]] }, dependsOn: [baseUp], source: `${source}.pvs[${j}]`, phase: "storage", title: `${device} in the LVM devices file (where one is used)` }))
        : [];
      const pvId = b.add({ id: `cluster/lvm/pv/drbd${minor}`, host: first.name, kind: "pvcreate", params: { device, commands: [forced.has(device) ? ["pvcreate", "-ff", "-y", device] : ["pvcreate", device]] }, dependsOn: [baseUp, ...listed], source: `${source}.pvs[${j}]`, phase: "storage", title: `PV on ${device}`, destructive: true });
      pvIds.set(device, pvId);
      const ref = refs[j];
      const name = ref?.kind === "drbd" ? ref.resource : "";
      const drbd = drbdGrowth.get(name);
      if (!drbd) return;
      pvResizes.push(
        b.add({ id: `${pvId}/resize`, host: first.name, kind: "pvresize", params: { device, drbd, commands: [["pvresize", device]] }, dependsOn: [pvId, drbdResizes.get(name), lvmConf.get(first.name)], source: `${source}.pvs[${j}]`, phase: "grow", title: `PV on ${device} fills it` }),
      );
    });
    const shared = spec.lvm.locking === "lvmlockd" ? ["--shared"] : ["--clustered", "y"];
    const vgId = b.add({
      id: `cluster/lvm/vg/${vg.name}`,
      host: first.name,
      kind: "vgcreate",
      params: { vg: vg.name, pvs: devices, locking: spec.lvm.locking, commands: [["vgcreate", ...shared, vg.name, ...devices]] },
      dependsOn: devices.map((d) => pvIds.get(d)),
      source,
      phase: "storage",
      title: `${spec.lvm.locking === "lvmlockd" ? "shared" : "clustered"} VG ${vg.name}`,
      destructive: true,
    });
    vg.logicalVolumes.forEach((lv, j) => {
      const relative = lv.size.includes("%");
      const sizeArgs = relative ? ["-l", lv.size] : ["-L", lv.size];
      const activation = spec.lvm.locking === "lvmlockd" ? ["--activate", "n"] : [];
      // A shared VG's lockspace must be started on this node before it can take LV locks.
      const lockstart = spec.lvm.locking === "lvmlockd" ? [["vgchange", "--lockstart", vg.name]] : [];
      const key = `${vg.name}/${lv.name}`;
      const lvId = b.add({ id: `cluster/lvm/lv/${key}`, host: first.name, kind: "lvcreate", params: { vg: vg.name, lv: lv.name, size: lv.size, commands: [...lockstart, ["lvcreate", ...activation, ...sizeArgs, "-n", lv.name, vg.name]] }, dependsOn: [vgId], source: `${source}.logicalVolumes[${j}]`, phase: "storage", title: `LV ${key} (${lv.size})` });
      lvReady.set(key, lvId);
      // Only an absolute size is kept after creation: 100%FREE meant what there was then.
      let grown = lvId;
      if (!relative) {
        lvSizes.set(key, lv.size);
        grown = b.add({ id: `cluster/lvm/lv/${key}/extend`, host: first.name, kind: "lvextend", params: { vg: vg.name, lv: lv.name, size: lv.size, commands: [...lockstart, ["lvextend", "-L", lv.size, key]] }, dependsOn: [lvId, ...pvResizes], source: `${source}.logicalVolumes[${j}].size`, phase: "grow", title: `LV ${key} is ${lv.size}` });
      }
      lvGrown.set(key, grown);
      // The first node's own kernel takes the new size with its lvextend. A refresh asks this
      // node's LVM, so it comes after this node's lvmlocal.conf: a plan then reports it pending
      // behind a drifted one instead of failing on what LVM without lvmlockd cannot see.
      if (spec.lvm.locking === "lvmlockd") {
        lvRefreshes.set(
          key,
          spec.nodes.slice(1).map((n) =>
            b.add({ id: per(n, `lvm/lv/${key}/refresh`), host: n.name, kind: "lv-refresh", params: { vg: vg.name, lv: lv.name, ...(relative ? {} : { size: lv.size }), commands: [["lvchange", "--refresh", key]] }, dependsOn: [grown, lvmConf.get(n.name)], source: `${source}.logicalVolumes[${j}]`, phase: "grow", title: `LV ${key}: the kernel has LVM's size` }),
          ),
        );
      }
    });
  });

  const fsDevices = spec.filesystems.map((fs) => resolveDevice(spec, fs.device).path);
  const mkfsIds = spec.filesystems.map((fs, i) => {
    const [a] = fs.device.split("/") as [string];
    const onLvm = a !== "drbd";
    const device = fsDevices[i] as string;
    const lockTable = `${spec.cluster.name}:${fs.name}`;
    const journalSizeMb = Number.parseInt(fs.journalSize, 10);
    const mkfs = ["mkfs.gfs2", "-O", "-p", "lock_dlm", "-t", lockTable, "-j", String(fs.journals), "-J", String(journalSizeMb), device];
    // A shared LV is active nowhere until Pacemaker activates it; mkfs needs it active here.
    // It stays active (shared) afterwards: LVM-activate adopts it, and check can read it back.
    const activate = onLvm && spec.lvm.locking === "lvmlockd" ? [["vgchange", "--lockstart", a], ["lvchange", "--activate", "sy", fs.device]] : [];
    return b.add({
      id: `cluster/gfs2/${fs.name}/mkfs`,
      host: first.name,
      kind: "mkfs-gfs2",
      params: { device, lockTable, journals: fs.journals, journalSizeMb, activate, commands: [mkfs] },
      dependsOn: [onLvm ? lvReady.get(fs.device) : baseUp],
      source: `filesystems[${i}]`,
      phase: "filesystems",
      title: `GFS2 ${lockTable} on ${device} (${fs.journals} journals of ${journalSizeMb} MiB)`,
      destructive: true,
    });
  });

  if (spec.filesystems.length > 0) {
    const cibFs = b.add({
      id: "cluster/cib/filesystems",
      host: first.name,
      kind: "cib",
      params: { stage: "filesystems", dialect: pcs, python: pythonFor(spec.cluster.distro), prior: baseCommands(spec), commands: filesystemCommands(spec), resources: spec.filesystems.map((fs) => ids.fsClone(fs.name)), secrets: [] },
      dependsOn: [cibBase, ...mkfsIds],
      source: "filesystems",
      phase: "filesystems",
      title: "CIB: LV activation + Filesystem clones with order and colocation",
    });
    const fsUp = b.add({
      id: "cluster/wait/filesystems",
      host: first.name,
      kind: "wait-resources",
      params: { resources: spec.filesystems.map((fs) => ({ id: ids.fsClone(fs.name), role: "Started" as const })), nodes: nodeNames, timeoutSec: 900 },
      dependsOn: [cibFs],
      source: "filesystems",
      phase: "filesystems",
      title: "GFS2 mounted on every node",
    });
    // Day-2 changes of a mounted filesystem, each made online from one node.
    spec.filesystems.forEach((fs, i) => {
      const device = fsDevices[i] as string;
      const lockTable = `${spec.cluster.name}:${fs.name}`;
      const grow = b.add({
        id: `cluster/gfs2/${fs.name}/grow`,
        host: first.name,
        kind: "gfs2-grow",
        params: { device, mountpoint: fs.mountpoint, ...(lvSizes.has(fs.device) ? { lvSize: lvSizes.get(fs.device) } : {}), commands: [["gfs2_grow", fs.mountpoint]] },
        // Every node must see the grown device before GFS2 puts resource groups there. The LV
        // is read through this node's LVM setup: after its lvmlocal.conf, like the refreshes.
        dependsOn: [fsUp, ...(lvRefreshes.get(fs.device) ?? []), ...(lvReady.has(fs.device) ? [lvGrown.get(fs.device), lvmConf.get(first.name)] : [drbdResizes.get(fs.device.slice("drbd/".length))])],
        source: `filesystems[${i}]`,
        phase: "grow",
        title: `GFS2 ${lockTable} fills ${device}`,
      });
      b.add({
        id: `cluster/gfs2/${fs.name}/journals`,
        host: first.name,
        kind: "gfs2-journals",
        params: { device, mountpoint: fs.mountpoint, journals: fs.journals, journalSizeMb: Number.parseInt(fs.journalSize, 10) },
        // New journals take space from the filesystem: grown first when both change.
        dependsOn: [grow],
        source: `filesystems[${i}].journals`,
        phase: "grow",
        title: `GFS2 ${lockTable} has ${fs.journals} journals`,
      });
    });
  }

  return planFor(spec, dialect, pcs, b.finish(playbook));
}
