/**
 * `distro: auto`: the nodes' real /etc/os-release texts decide the target, every node must
 * agree, and the distro-dependent defaults and rules are those of the detected target.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { runCli } from "../../support/cli.js";
import { scratchDir } from "../../support/scratch.js";
import { resolveDistro } from "../../../src/cli/live.js";
import { SpecError, UsageError } from "../../../src/errors.js";
import { detectDistro, distroOf, parseOsRelease } from "../../../src/spec/distro.js";
import { drbdDialect } from "../../../src/spec/defaults.js";
import { loadSpec, withDetectedDistro } from "../../../src/spec/load.js";
import { FakeTransport } from "../../../src/transport/fake.js";

const osRelease = (name: string) => readFileSync(`test/fixtures/os-release/${name}`, "utf8");

function nodes(releases: Record<string, string>): Map<string, FakeTransport> {
  return new Map(Object.entries(releases).map(([node, release]) => [node, new FakeTransport(node).setFile("/etc/os-release", osRelease(release))]));
}

/** A copy of a fixture spec with distro auto (and `edit` applied to its text). */
function autoSpec(fixture: string, edit: (text: string) => string = (t) => t): string {
  const text = readFileSync(`test/fixtures/specs/${fixture}/cluster.yaml`, "utf8").replace(/distro: \w+/, "distro: auto");
  const file = join(scratchDir(`auto-${fixture}`), "cluster.yaml");
  writeFileSync(file, edit(text));
  return file;
}

describe("distroOf", () => {
  it.each([
    ["debian12", "debian12"],
    ["debian13", "debian13"],
    ["ubuntu2404", "ubuntu2404"],
    ["rocky9", "el9"],
    ["almalinux8", "el8"],
    ["centos7", "el7"],
    ["ubuntu2204", undefined],
  ])("%s → %s", (release, target) => {
    expect(distroOf(parseOsRelease(osRelease(release)))).toBe(target);
  });

  it("knows an EL rebuild it has no name for by ID_LIKE, and refuses EL10 and Fedora", () => {
    expect(distroOf({ ID: "someel", ID_LIKE: "rhel centos fedora", VERSION_ID: "9.5" })).toBe("el9");
    expect(distroOf({ ID: "rhel", VERSION_ID: "10.0" })).toBeUndefined();
    expect(distroOf({ ID: "fedora", VERSION_ID: "40" })).toBeUndefined();
  });

  it("unquotes values the way os-release(5) allows", () => {
    expect(parseOsRelease('A="x \\"y\\""\nB=\'z\'\nC=plain\n# comment\n')).toEqual({ A: 'x "y"', B: "z", C: "plain" });
  });
});

describe("detectDistro", () => {
  it("returns the one target every node is, having only read os-release", async () => {
    const ts = nodes({ a: "rocky9", b: "rocky9" });
    expect(await detectDistro(ts)).toBe("el9");
    for (const t of ts.values()) expect(t.calls).toEqual([{ kind: "readFile", path: "/etc/os-release" }]);
  });

  it("falls back to /usr/lib/os-release", async () => {
    const t = new FakeTransport("a").setFile("/usr/lib/os-release", osRelease("debian12"));
    expect(await detectDistro(new Map([["a", t]]))).toBe("debian12");
  });

  it("refuses nodes that disagree, naming what each node is, with exit code 2", async () => {
    const run = detectDistro(nodes({ a: "rocky9", b: "almalinux8" }));
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(
      "distro: auto found nodes of different targets:\n  a: Rocky Linux 9.4 (Blue Onyx) (ID=rocky ID_LIKE=rhel centos fedora VERSION_ID=9.4) → el9\n  b: AlmaLinux 8.10 (Cerulean Leopard) (ID=almalinux ID_LIKE=rhel centos fedora VERSION_ID=8.10) → el8",
    );
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
  });

  it("refuses an unsupported release, naming the node and listing the targets", async () => {
    const run = detectDistro(nodes({ a: "ubuntu2404", b: "ubuntu2204" }));
    await expect(run).rejects.toThrow(/no gfsdeploy target on b:\n.*\n {2}b: Ubuntu 22\.04\.4 LTS \(ID=ubuntu ID_LIKE=debian VERSION_ID=22\.04\) → unsupported/);
    await expect(run).rejects.toMatchObject({ hint: expect.stringContaining("ubuntu2404 (Ubuntu 24.04)") as unknown });
  });

  it("refuses EL 10 with the reason (no GFS2 there) and what to use instead, exit code 2", async () => {
    // RHEL 10's os-release fields as that release writes them; its rebuilds say ID_LIKE rhel.
    const rhel10 = 'NAME="Red Hat Enterprise Linux"\nVERSION="10.0 (Coughlan)"\nID="rhel"\nID_LIKE="centos fedora"\nVERSION_ID="10.0"\nPRETTY_NAME="Red Hat Enterprise Linux 10.0 (Coughlan)"\n';
    const alma10 = 'NAME="AlmaLinux"\nVERSION="10.0 (Purple Lion)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="10.0"\nPRETTY_NAME="AlmaLinux 10.0 (Purple Lion)"\n';
    const ts = new Map([
      ["a", new FakeTransport("a").setFile("/etc/os-release", rhel10)],
      ["b", new FakeTransport("b").setFile("/etc/os-release", alma10)],
    ]);
    const error = await detectDistro(ts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toMatch(/^distro: auto found EL 10 on a, b: RHEL 10 and its rebuilds ship no GFS2: Red Hat removed the Resilient Storage add-on/);
    expect((error as UsageError).message).toContain("b: AlmaLinux 10.0 (Purple Lion) (ID=almalinux ID_LIKE=rhel centos fedora VERSION_ID=10.0) → unsupported");
    expect((error as UsageError).hint).toMatch(/^build the cluster on el9 .* or on debian13 .*; nothing was changed$/);
  });

  it("refuses a node without any os-release", async () => {
    await expect(detectDistro(new Map([["a", new FakeTransport("a")]]))).rejects.toThrow(/a: no \/etc\/os-release or \/usr\/lib\/os-release → unsupported/);
  });
});

describe("distro-dependent defaults follow the detected target", () => {
  it("el7 gets udpu, clvmd and DRBD 8.4; el9 knet, lvmlockd and DRBD 9", () => {
    const loaded = loadSpec(autoSpec("el9", (t) => t.replace(/ +ring1: [0-9.]+,?/g, "").replace(", }", " }")), { checkSecrets: false });
    expect(loaded.spec.cluster.distro).toBe("auto");
    const el7 = withDetectedDistro(loaded, "el7").spec;
    expect([el7.corosync.transport, el7.lvm.locking, drbdDialect(el7)]).toEqual(["udpu", "clvmd", "8.4"]);
    const el9 = withDetectedDistro(loaded, "el9").spec;
    expect([el9.corosync.transport, el9.lvm.locking, drbdDialect(el9)]).toEqual(["knet", "lvmlockd", "9"]);
  });

  it("a setting the detected target cannot run is a spec error, located, that says what was detected", () => {
    // GIVEN two corosync links, which only knet carries, and nodes that turn out to be el7 (udpu)
    const loaded = loadSpec(autoSpec("el9"), { checkSecrets: false });
    expect(() => withDetectedDistro(loaded, "el7")).toThrow(SpecError);
    expect(() => withDetectedDistro(loaded, "el7")).toThrow(/cluster\.yaml:10:11 {2}corosync\.transport: udpu supports one link only \(distro: auto, the nodes are el7\)/);
  });

  it("resolveDistro reads the nodes only for auto", async () => {
    const named = loadSpec("test/fixtures/specs/el9/cluster.yaml", { checkSecrets: false });
    const ts = nodes({ "rhel-a": "almalinux8", "rhel-b": "almalinux8" });
    expect(await resolveDistro(named, ts)).toBe(named);
    expect([...ts.values()].flatMap((t) => t.calls)).toEqual([]);
    const auto = loadSpec(autoSpec("el9"), { checkSecrets: false });
    expect((await resolveDistro(auto, ts)).spec.cluster.distro).toBe("el8");
  });
});

describe("offline commands never dial for auto", () => {
  it.each([["plan", "--offline"], ["render", "--out", "/nonexistent/never-written"]])("%s %s refuses with the PlanError", async (...args) => {
    const run = await runCli(args[0], autoSpec("debian12-lvmlockd"), ...args.slice(1));
    expect(run.code).toBe(1);
    expect(run.err).toContain("distro 'auto' needs the nodes' /etc/os-release");
  });
});
