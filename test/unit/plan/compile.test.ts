import { describe, expect, it } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadTemplates } from "../../../src/cli/templates.js";
import { PlanError } from "../../../src/errors.js";
import { topologicalOrder } from "../../../src/plan/builder.js";
import { compile } from "../../../src/plan/compile.js";
import type { Playbook } from "../../../src/playbook/types.js";
import type { AnyStep, Plan } from "../../../src/plan/types.js";
import { loadSpec } from "../../../src/spec/load.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const templates = loadTemplates();
const site = loadPlaybook("site");
const specOf = (fixture: string) => loadSpec(`test/fixtures/specs/${fixture}/cluster.yaml`, { checkSecrets: false }).spec;
const planOf = (fixture: string) => compile(specOf(fixture), templates, site);

/** Every step `id` transitively depends on. */
function ancestors(plan: Plan, id: string): Set<string> {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.dependsOn ?? [])];
  while (stack.length) {
    const cur = stack.pop() as string;
    if (seen.has(cur)) continue;
    seen.add(cur);
    stack.push(...(byId.get(cur)?.dependsOn ?? []));
  }
  return seen;
}

describe("compile", () => {
  it("is deterministic and leaves its input untouched", () => {
    const spec = specOf("two-resources");
    const before = JSON.stringify(spec);
    const a = compile(spec, templates, site);
    const b = compile(spec, templates, site);
    expect(JSON.stringify(spec)).toBe(before);
    expect(a).toEqual(b);
  });

  it("lists every step after everything it depends on", () => {
    for (const fixture of ["debian12-lvmlockd", "two-resources", "el7-clvmd", "debian12-nolvm"]) {
      const plan = planOf(fixture);
      const position = new Map(plan.steps.map((s, i) => [s.id, i]));
      for (const s of plan.steps) for (const d of s.dependsOn) expect(position.get(d), `${s.id} after ${d}`).toBeLessThan(position.get(s.id) as number);
    }
  });

  it("orders the stack: files → cluster → DRBD sync → locking CIB → storage → mkfs → mounts", () => {
    const plan = planOf("debian12-lvmlockd");
    const chain = [
      ["node2/corosync/conf", "node1/cluster/start"],
      ["node2/corosync/authkey", "node1/cluster/start"],
      ["node1/cluster/start", "cluster/ready"],
      ["node2/drbd/r0/up", "cluster/drbd/r0/initial-sync"],
      ["cluster/drbd/r0/initial-sync", "cluster/cib/base"],
      ["node2/lvm/conf", "cluster/cib/base"],
      ["cluster/ready", "cluster/cib/base"],
      ["cluster/cib/base", "cluster/wait/base"],
      ["cluster/wait/base", "cluster/lvm/pv/drbd0"],
      ["cluster/lvm/vg/vg_gfs", "cluster/lvm/lv/vg_gfs/lv_data"],
      ["cluster/lvm/lv/vg_gfs/lv_data", "cluster/gfs2/data/mkfs"],
      ["cluster/gfs2/data/mkfs", "cluster/cib/filesystems"],
      ["cluster/cib/filesystems", "cluster/wait/filesystems"],
    ];
    for (const [first, then] of chain) expect(ancestors(plan, then as string), `${first} before ${then}`).toContain(first);
  });

  it("marks exactly the steps that can destroy data", () => {
    const destructive = planOf("debian12-lvmlockd").steps.filter((s) => s.destructive).map((s) => s.id);
    expect(destructive).toEqual(["node1/drbd/r0/create-md", "node2/drbd/r0/create-md", "cluster/lvm/pv/drbd0", "cluster/lvm/vg/vg_gfs", "cluster/gfs2/data/mkfs"]);
  });

  it("gives mkfs.gfs2 the lock table and journal count of the spec", () => {
    const mkfs = planOf("two-resources").steps.filter((s): s is Extract<AnyStep, { kind: "mkfs-gfs2" }> => s.kind === "mkfs-gfs2");
    expect(mkfs.map((s) => s.params.commands.find((c) => c[0] === "mkfs.gfs2"))).toEqual([
      ["mkfs.gfs2", "-O", "-p", "lock_dlm", "-t", "duo:alpha", "-j", "2", "-J", "64", "/dev/vg_a/lv_a"],
      ["mkfs.gfs2", "-O", "-p", "lock_dlm", "-t", "duo:beta", "-j", "3", "-J", "64", "/dev/vg_b/lv_b"],
    ]);
  });

  it("never carries a secret's value, only where it comes from", () => {
    process.env.IPMI_PASSWORD = "ipmi-S3cret-value";
    process.env.GFSDEPLOY_HACLUSTER_PASSWORD = "hacluster-S3cret-value";
    const json = JSON.stringify(planOf("debian12-lvmlockd"));
    expect(json).not.toContain("S3cret");
    expect(json).toContain('"secret":"secrets.haclusterPassword"');
    expect(json).toContain("password_script=cat /etc/gfsdeploy/secrets/fence-node1.password");
  });

  it("refuses distro auto offline with a hint", () => {
    const spec = { ...specOf("debian12-lvmlockd"), cluster: { name: "gfscluster", distro: "auto" as const } };
    expect(() => compile(spec, templates, site)).toThrow(PlanError);
  });

  it("EL nodes enable their repositories before installing, Debian nodes have no such step", () => {
    const el9 = planOf("el9");
    for (const node of ["rhel-a", "rhel-b"]) expect(ancestors(el9, `${node}/packages`)).toEqual(new Set([`${node}/repos`]));
    expect(el9.steps.find((s) => s.id === "rhel-a/repos")?.params).toMatchObject({ enable: ["highavailability", "resilientstorage"] });
    expect(planOf("el8-drbd9").steps.find((s) => s.id === "n1/repos")?.params).toMatchObject({ manager: "dnf", enable: ["ha", "resilientstorage"] });
    expect(planOf("debian12-lvmlockd").steps.filter((s) => s.kind === "repos" || s.kind === "lvm-device")).toEqual([]);
  });

  it("cluster.repos replaces the default ids, and elrepo: false drops ELRepo", () => {
    const spec = specOf("el9");
    spec.cluster.repos = ["rhel-9-for-x86_64-highavailability-rpms", "rhel-9-for-x86_64-resilientstorage-rpms"];
    spec.cluster.elrepo = false;
    expect(compile(spec, templates, site).steps.find((s) => s.id === "rhel-b/repos")?.params).toEqual({ manager: "dnf", releasePackages: [], enable: spec.cluster.repos });
  });

  it("on EL with lvmlockd every node lists the DRBD device in its LVM devices file before the PV is made", () => {
    for (const [fixture, nodes] of [["el9", ["rhel-a", "rhel-b"]], ["el8-drbd9", ["n1", "n2"]]] as const) {
      const plan = planOf(fixture);
      const pv = plan.steps.find((s) => s.kind === "pvcreate") as AnyStep;
      const device = pv.kind === "pvcreate" ? pv.params.device : "";
      const listed = plan.steps.filter((s) => s.kind === "lvm-device");
      expect(listed.map((s) => [s.host, s.params.commands])).toEqual(nodes.map((n) => [n, [["lvmdevices", "--adddev", device]]]));
      for (const s of listed) expect(ancestors(plan, pv.id)).toContain(s.id);
    }
  });

  it("el7 with clvmd turns lvmetad off, as lvmconf --enable-cluster does", () => {
    const plan = planOf("el7-clvmd");
    const conf = plan.steps.find((s) => s.id === "kvm1/lvm/conf");
    expect(conf?.kind === "file" ? conf.params.content : "").toMatch(/locking_type = 3\n\s+use_lvmetad = 0\n/);
    expect(plan.steps.filter((s) => s.host === "kvm2" && s.kind === "service" && s.params.unit.startsWith("lvm2-lvmetad")).map((s) => s.params)).toEqual([
      { unit: "lvm2-lvmetad.socket", enabled: false, active: false },
      { unit: "lvm2-lvmetad.service", enabled: false, active: false },
    ]);
  });

  it("runs the helper scripts in the interpreter pcs runs on", () => {
    const pythons = (fixture: string) => [...new Set(planOf(fixture).steps.flatMap((s) => (s.kind === "cib" || s.kind === "hacluster-password" ? [s.params.python] : [])))];
    expect([pythons("el7-clvmd"), pythons("el8-drbd9"), pythons("el9")]).toEqual([["/usr/bin/python"], ["/usr/libexec/platform-python"], ["/usr/bin/python3"]]);
  });

  it("names a dependency cycle by its whole route", () => {
    const step = (id: string, dep: string): AnyStep => ({ id, host: "n", kind: "hostname", params: { name: "n" }, dependsOn: [dep], source: "", phase: "prepare", title: "", destructive: false });
    expect(() => topologicalOrder([step("a", "c"), step("b", "a"), step("c", "b")], () => 0)).toThrow(/dependency cycle: (a => c => b => a|c => b => a => c|b => a => c => b)/);
  });
});

describe("compile follows the playbook", () => {
  /** site.yaml with its phases rearranged by `edit`. */
  const siteWith = (edit: (names: string[]) => string[]): Playbook => ({
    ...site,
    phases: edit(site.phases.map((p) => p.name)).map((name) => ({ name, description: name })),
  });
  const swap = (names: string[], a: string, b: string) => names.map((n) => (n === a ? b : n === b ? a : n));
  /** The phases in the order the plan's steps pass through them, each once. */
  const phaseRuns = (plan: Plan) => plan.steps.map((s) => s.phase).filter((p, i, all) => p !== all[i - 1]);

  it("returns the steps phase by phase in site.yaml's order", () => {
    expect(phaseRuns(planOf("debian12-lvmlockd"))).toEqual(["prepare", "corosync", "fencing", "drbd", "cluster", "locking", "storage", "filesystems", "grow"]);
  });

  it("runs two independent phases in the order the playbook lists them", () => {
    // GIVEN drbd and cluster, whose steps do not depend on each other, listed the other way round
    const swapped = compile(specOf("debian12-lvmlockd"), templates, siteWith((n) => swap(n, "drbd", "cluster")));
    // THEN the same steps come out, the cluster ones now before the DRBD ones
    expect(phaseRuns(swapped)).toEqual(["prepare", "corosync", "fencing", "cluster", "drbd", "locking", "storage", "filesystems", "grow"]);
    expect(new Set(swapped.steps.map((s) => s.id))).toEqual(new Set(planOf("debian12-lvmlockd").steps.map((s) => s.id)));
  });

  it("refuses a step whose phase the playbook does not list", () => {
    const withoutFencing = siteWith((n) => n.filter((p) => p !== "fencing"));
    expect(() => compile(specOf("debian12-lvmlockd"), templates, withoutFencing)).toThrow(
      new PlanError("playbook site does not list phase(s) fencing (e.g. step node1/stonith/fence-node1/password)", "add 'fencing' to the phases of playbook site, where its steps should run"),
    );
  });

  it("refuses an order that would run a step before one it depends on", () => {
    const storageFirst = siteWith((n) => swap(n, "locking", "storage"));
    expect(() => compile(specOf("debian12-lvmlockd"), templates, storageFirst)).toThrow(
      /^playbook site lists phase storage before locking, but step cluster\/lvm\/pv\/drbd0 \(storage\) depends on cluster\/wait\/base \(locking\)$/,
    );
  });

  it("accepts a listed phase no step uses", () => {
    // GIVEN site with an extra phase, listed last, that no step belongs to
    const extra = { ...site, phases: [...site.phases, { name: "unused", description: "nothing runs here" }] };
    // THEN the plan is the same
    expect(compile(specOf("debian12-lvmlockd"), templates, extra).steps).toEqual(planOf("debian12-lvmlockd").steps);
  });

  it("puts every day-2 growth step in the grow phase, after the filesystems are mounted", () => {
    const grow = planOf("debian12-lvmlockd").steps.filter((s) => s.phase === "grow").map((s) => s.kind);
    // Its LV is 100%FREE, a size kept as made: no lvextend.
    expect(new Set(grow)).toEqual(new Set(["drbd-resize", "pvresize", "lv-refresh", "gfs2-grow", "gfs2-journals"]));
    expect(compile(testbedSpec(), templates, site).steps.filter((s) => s.kind === "lvextend").map((s) => s.phase)).toEqual(["grow"]);
  });

  it("builds apply plans only", () => {
    const destroy: Playbook = { ...site, name: "destroy", workflow: "destroy" };
    expect(() => compile(specOf("debian12-lvmlockd"), templates, destroy)).toThrow(/playbook destroy is a destroy workflow, not an apply workflow/);
  });
});

describe("fence_sbd's package", () => {
  const packagesOf = (distro: "debian12" | "debian13") =>
    compile(testbedSpec(distro), templates, loadPlaybook("site")).steps.flatMap((s) => (s.kind === "packages" && s.host === "node1" ? s.params.names : []));

  it("is fence-agents-sbd on Debian 13, where fence-agents-all only suggests it, and fence-agents itself on Debian 12", () => {
    expect(packagesOf("debian13")).toContain("fence-agents-sbd");
    expect(packagesOf("debian12")).not.toContain("fence-agents-sbd");
    expect(packagesOf("debian12")).toContain("fence-agents");
  });

  it("is not installed on Debian 13 when no device uses fence_sbd", () => {
    expect(planOf("debian13").steps.flatMap((s) => (s.kind === "packages" ? s.params.names : []))).not.toContain("fence-agents-sbd");
  });
});

describe("SBD on the test bed", () => {
  const plan = compile(testbedSpec(), templates, loadPlaybook("site"));
  const file = (id: string) => plan.steps.find((s) => s.id === id && s.kind === "file")?.params as { content: string; onChange?: string } | undefined;

  it("holds sbd back for msgwait at start, so a node that rebooted fast cannot rejoin while its fencing is still counted", () => {
    expect(file("node2/sbd/config")?.content).toMatch(/^SBD_DELAY_START=yes$/m);
  });

  it("gives sbd's start msgwait plus two minutes, and makes systemd read that before the next start", () => {
    // The test bed's watchdog timeout is 30 s: msgwait 60 s.
    expect(file("node2/sbd/start-timeout")).toMatchObject({ content: expect.stringMatching(/^TimeoutStartSec=180$/m) as unknown, onChange: "systemd-reload" });
    expect(plan.steps.find((s) => s.id === "node2/service/sbd.service")?.dependsOn).toContain("node2/sbd/start-timeout");
  });

  it("lets the fence-on-fail monitors of the shared stack wait out a fencing: msgwait 60 s + race delay 15 s + 60 s", () => {
    const commands = plan.steps.flatMap((s) => (s.kind === "cib" ? (s.params as { commands: string[][] }).commands : []));
    const fenced = commands.filter((c) => c.includes("on-fail=fence")).map((c) => [c[2], c.find((a) => a.startsWith("timeout="))]);
    // dlm and lvmlockd in the locking group, the Filesystem of `data`.
    expect(fenced).toEqual([["dlm", "timeout=135s"], ["lvmlockd", "timeout=135s"], ["data-fs", "timeout=135s"]]);
  });
});
