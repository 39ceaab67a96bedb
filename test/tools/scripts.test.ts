/**
 * The node-side helper scripts run in the interpreter pcs runs on: Python 2.7 on EL7, 3.6
 * (platform-python) on EL8, 3.9+ elsewhere. Each interpreter found here compiles and runs
 * them. /usr/bin/python3 is always here (Debian 12's 3.11, with the real pcs, which
 * artifacts.test.ts drives through pcs_batch.py); 2.7 and 3.6 come from pyenv, which this
 * project's machines ship under ~/.pyenv (Debian has neither); elsewhere those tests skip,
 * saying so, and under CI they fail (see needs.ts).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { execa } from "execa";
import { describe, expect, it, type TestContext } from "vitest";

import { templatesDir } from "../../src/cli/templates.js";
import { pythonFor } from "../../src/spec/defaults.js";
import { AUTHENTICATED_NAMES } from "../../src/steps/pcs.js";
import { needs } from "../support/needs.js";
import { scratchDir } from "../support/scratch.js";

const scriptsDir = join(templatesDir, "scripts");
const scripts = readdirSync(scriptsDir).filter((f) => f.endsWith(".py"));

const interpreters = [
  { name: "python3 (Debian 12, like EL9 and Ubuntu 24.04)", path: "/usr/bin/python3", hasPcs: true },
  { name: "python 3.6 (EL8 platform-python)", path: `${process.env.HOME ?? "/root"}/.pyenv/versions/3.6.15/bin/python`, hasPcs: false },
  { name: "python 2.7 (EL7)", path: `${process.env.HOME ?? "/root"}/.pyenv/versions/2.7.18/bin/python`, hasPcs: false },
];

/** A directory with fake `cibadmin`/`crm_diff` that answer from files, to put first on PATH. */
function fakeCluster(liveCib: string): { dir: string; env: Record<string, string> } {
  const dir = scratchDir("fake-cluster");
  writeFileSync(join(dir, "live.xml"), liveCib);
  writeFileSync(join(dir, "cibadmin"), `#!/bin/sh\n[ "$1" = --query ] && exec cat "${dir}/live.xml"\nexit 1\n`, { mode: 0o755 });
  return { dir, env: { PATH: `${dir}:${process.env.PATH ?? ""}` } };
}

const cib = (props: string, resources: string) =>
  `<cib><configuration><crm_config><cluster_property_set id="cib-bootstrap-options">${props}</cluster_property_set></crm_config><nodes/><resources>${resources}</resources><constraints/></configuration><status/></cib>`;

it("the plan names the interpreter pcs runs on for each target", () => {
  expect(["debian13", "debian12", "ubuntu2404", "el9", "el8", "el7"].map((d) => pythonFor(d as Parameters<typeof pythonFor>[0]))).toEqual([
    "/usr/bin/python3",
    "/usr/bin/python3",
    "/usr/bin/python3",
    "/usr/bin/python3",
    "/usr/libexec/platform-python",
    "/usr/bin/python",
  ]);
});

describe.each(interpreters)("$name", ({ name, path, hasPcs }) => {
  const present = existsSync(path);
  const interpreter = (ctx: TestContext) => needs(ctx, present, `${name} at ${path}`, "pyenv installs it (`pyenv install 3.6.15` / `2.7.18`)");

  it.for(scripts)("compiles %s", async (script, ctx) => {
    interpreter(ctx);
    const r = await execa(path, ["-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", join(scriptsDir, script)], { reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
  });

  it("cib_sync.py check reports a changed property and a missing resource, and ignores formatting and attribute order", async (ctx) => {
    interpreter(ctx);
    const desired = cib('<nvpair id="p1" name="stonith-enabled" value="true"/><nvpair id="p2" name="no-quorum-policy" value="freeze"/>', '<primitive id="dlm" class="ocf" provider="pacemaker" type="controld"/><primitive id="fs" class="ocf" type="Filesystem"/>');
    const live = cib('<nvpair id="p1" name="stonith-enabled" value="false"/><nvpair name="no-quorum-policy" value="freeze" id="p2"/>', '\n  <primitive type="controld" provider="pacemaker" class="ocf" id="dlm"/>\n');
    const cluster = fakeCluster(live);
    writeFileSync(join(cluster.dir, "desired.xml"), desired);
    const r = await execa(path, [join(scriptsDir, "cib_sync.py"), "check", join(cluster.dir, "desired.xml")], { env: cluster.env, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      changes: [
        { kind: "property", id: "stonith-enabled", before: "false", after: "true" },
        { kind: "add", id: "fs", tag: "primitive" },
      ],
      pushed: false,
    });
  });

  it("cib_sync.py says why when the live CIB cannot be read", async (ctx) => {
    interpreter(ctx);
    const cluster = fakeCluster(cib("", ""));
    writeFileSync(join(cluster.dir, "cibadmin"), "#!/bin/sh\necho 'Could not connect to the CIB' >&2\nexit 102\n", { mode: 0o755 });
    const failed = await execa(path, [join(scriptsDir, "cib_sync.py"), "check", join(cluster.dir, "live.xml")], { env: cluster.env, reject: false, all: true });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("cibadmin --query failed: Could not connect to the CIB");
  });

  it("bench_node.py meta creates, stats and unlinks the files it counts", async (ctx) => {
    interpreter(ctx);
    const dir = scratchDir("bench-meta");
    const r = await execa(path, [join(scriptsDir, "bench_node.py"), "meta", dir, "n1", "50"], { reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    expect((JSON.parse(r.stdout) as { ops: number }).ops).toBe(150);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the pcs-auth read prints the authenticated node names of known-hosts (pcs 0.10+) and tokens (0.9), never a token", async (ctx) => {
    interpreter(ctx);
    const dir = scratchDir("pcsd");
    writeFileSync(join(dir, "known-hosts"), JSON.stringify({ format_version: 1, data_version: 2, known_hosts: { node2: { dest_list: [{ addr: "10.0.0.2", port: 2224 }], token: "tok-2f9c" }, node1: { dest_list: [], token: "tok-81aa" } } }));
    writeFileSync(join(dir, "tokens"), JSON.stringify({ format_version: 2, data_version: 1, tokens: { rhel7a: "tok-0a1b" } }));
    const names = (file: string, key: string) => execa(path, ["-c", AUTHENTICATED_NAMES, join(dir, file), key], { reject: false });
    expect((await names("known-hosts", "known_hosts")).stdout).toBe("node1\nnode2");
    expect((await names("tokens", "tokens")).stdout).toBe("rhel7a");
    expect((await names("missing", "known_hosts")).exitCode).toBe(1);
  });

  // Without pcs in this interpreter, a stub pcs.app (the 0.9/0.10 entry point) stands in; the
  // interpreter that has the real pcs runs pcs_batch.py in artifacts.test.ts instead.
  if (hasPcs) return;
  it("pcs_batch.py runs each command line through pcs.app.main, captures its output and stops at the first failure", async (ctx) => {
    interpreter(ctx);
    const lib = scratchDir("pcs-stub");
    mkdirSync(join(lib, "pcs"));
    writeFileSync(join(lib, "pcs", "__init__.py"), "");
    writeFileSync(join(lib, "pcs", "app.py"), "import sys\ndef main():\n    print(' '.join(sys.argv[1:]))\n    if 'bad' in sys.argv:\n        sys.exit(3)\n");
    const r = await execa(path, [join(scriptsDir, "pcs_batch.py"), "-f", "cib.xml"], { env: { PYTHONPATH: lib }, input: JSON.stringify([["property", "set", "a=1"], ["resource", "bad"], ["never"]]), reject: false, all: true });
    expect(r.exitCode, r.all).toBe(3);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { line: number; rc: number; stdout: string });
    expect(lines.map((l) => [l.line, l.rc, l.stdout])).toEqual([
      [1, 0, "-f cib.xml property set a=1\n"],
      [2, 3, "-f cib.xml resource bad\n"],
    ]);
  });
});
