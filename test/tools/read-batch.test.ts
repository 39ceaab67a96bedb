/**
 * read_batch.py answers the common reads in its own process. Each answer must be the real
 * command's, byte for byte, on every interpreter a target runs it on (2.7 on EL7 to 3.13 on
 * Debian 13): here each read is run both ways on this machine, through read_batch.py and
 * through the shell batch (the real commands), and the results compared. systemctl has no
 * systemd to ask here, so its answers are compared with what the real commands printed on the
 * Debian 12 test bed (test/fixtures/debian12/systemctl).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

import { execa } from "execa";
import { describe, expect, it, type TestContext } from "vitest";

import { templatesDir } from "../../src/cli/templates.js";
import { packagesReads } from "../../src/probes/node.js";
import type { Read } from "../../src/probes/facts.js";
import { pcsVersion } from "../../src/steps/cib.js";
import { AUTHENTICATED_NAMES, VERIFY_PASSWORD } from "../../src/steps/pcs.js";
import { type BatchCommand, type BatchExec, parseReadBatch, readBatchInput, shellBatch } from "../../src/transport/batch.js";
import type { ExecResult } from "../../src/transport/types.js";
import { needs } from "../support/needs.js";
import { scratchDir } from "../support/scratch.js";

const READ_BATCH = join(templatesDir, "scripts", "read_batch.py");
const CIB_SYNC = readFileSync(join(templatesDir, "scripts", "cib_sync.py"), "utf8");
const pyenv = `${process.env.HOME ?? "/root"}/.pyenv/versions`;
const interpreters = [
  { name: "python3 (this machine's Debian 12)", path: "/usr/bin/python3" },
  { name: "python 2.7 (EL7)", path: `${pyenv}/2.7.18/bin/python` },
  { name: "python 3.6 (EL8 platform-python)", path: `${pyenv}/3.6.15/bin/python` },
  { name: "python 3.13 (Debian 13)", path: `${pyenv}/3.13.0/bin/python` },
];

const withEnv =
  (env: Record<string, string>): BatchExec =>
  async ([command, ...args], stdin) => {
    const r = await execa(command, args, { input: stdin ?? "", reject: false, stripFinalNewline: false, env });
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  };

async function viaPython(python: string, commands: BatchCommand[], stdin?: Buffer, env?: Record<string, string>): Promise<ExecResult[]> {
  const r = await execa(python, [READ_BATCH], { input: readBatchInput(commands, stdin), reject: false, ...(env ? { env } : {}) });
  expect(r.exitCode, r.stderr).toBe(0);
  return parseReadBatch(r.stdout, commands.length, "localhost");
}

const exec = (...argv: [string, ...string[]]): BatchCommand => ({ kind: "exec", argv });

describe.each(interpreters)("read_batch.py on $name", ({ name, path }) => {
  const interpreter = (ctx: TestContext) => needs(ctx, existsSync(path), `${name} at ${path}`, "pyenv installs it (`pyenv install 2.7.18`, `3.6.15`, `3.13.0`)");

  it("answers every read it computes itself exactly as the real command does", async (ctx) => {
    interpreter(ctx);
    // GIVEN files of each kind the checks look at
    const dir = scratchDir("read-batch");
    const knownHosts = join(dir, "known-hosts");
    writeFileSync(knownHosts, JSON.stringify({ format_version: 1, known_hosts: { node2: { token: "t2" }, node1: { token: "t1" } } }));
    const desired = join(dir, "desired.xml");
    writeFileSync(desired, '<cib><configuration><crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="p" name="stonith-enabled" value="true"/></cluster_property_set></crm_config><resources/><constraints/></configuration></cib>');
    const shadow = join(dir, "shadow");
    // SHA-512 crypt of hacluster-Pw-7f3k9q (openssl passwd -6 -salt 0123456789abcdef)
    writeFileSync(shadow, `hacluster:${(await execa("openssl", ["passwd", "-6", "-salt", "0123456789abcdef", "hacluster-Pw-7f3k9q"])).stdout}:19000:0:99999:7:::\n`);
    const cibadmin = scratchDir("fake-cibadmin");
    writeFileSync(join(cibadmin, "cibadmin"), `#!/bin/sh\necho '<cib><configuration><crm_config/><resources/><constraints/></configuration></cib>'\n`, { mode: 0o755 });
    const file = join(dir, "conf");
    writeFileSync(file, "totem {\n  cluster_name: c\n}\nno newline at the end");
    chmodSync(file, 0o640);
    const empty = join(dir, "empty");
    writeFileSync(empty, "");
    const missing = join(dir, "missing");
    const loop = existsSync("/dev/loop0") ? ["/dev/loop0"] : [];
    const commands: BatchCommand[] = [
      { kind: "file", path: file },
      { kind: "file", path: missing },
      ...[file, empty, missing, dir, ...loop].flatMap((p) => [exec("test", "-e", p), exec("test", "-b", p), exec("test", "-s", p), exec("stat", "-c", "%a %U %G", p)]),
      exec("stat", "-c", "%a %U %G", "/etc/passwd"),
      exec("sha256sum", file),
      exec("sha256sum", missing),
      exec("uname", "-n"),
      exec("blockdev", "--getsize64", missing),
      ...loop.map((d) => exec("blockdev", "--getsize64", d)),
      exec("findmnt", "-n", "-o", "FSTYPE", "--mountpoint", "/"),
      exec("findmnt", "-n", "-o", "FSTYPE", "--mountpoint", dir),
      exec("printf", "%s", "run as it is"),
      exec("sh", "-c", "echo to stderr >&2; exit 5"),
      // Python for this interpreter runs inside read_batch.py: the names pcs holds tokens for, a comparison with the live CIB
      exec(path, "-c", AUTHENTICATED_NAMES, knownHosts, "known_hosts"),
      exec(path, "-c", AUTHENTICATED_NAMES, missing, "known_hosts"),
      exec(path, "-c", CIB_SYNC, "check", desired),
      exec(path, "-c", "import sys; sys.exit('fails with a message')"),
      exec(path, "-c", VERIFY_PASSWORD, "hacluster", shadow),
      { kind: "exec", argv: [path, "-c", VERIFY_PASSWORD, "hacluster", shadow], stdin: true },
    ];
    // WHEN read both ways
    const secret = Buffer.from("hacluster-Pw-7f3k9q");
    const env = { PATH: `${cibadmin}:${process.env.PATH ?? ""}` };
    const [python, shell] = [await viaPython(path, commands, secret, env), await shellBatch(withEnv(env), "localhost", commands, secret)];
    // THEN every exit status and output agrees
    const view = (rs: ExecResult[]) => rs.map((r, i) => ({ read: JSON.stringify(commands[i]), code: r.code, stdout: r.stdout }));
    expect(view(python)).toEqual(view(shell));
    // AND the comparisons really ran: the password matched only where it was given, the CIB lacks the property
    expect(python.slice(-6).map((r) => r.code)).toEqual([0, 1, 0, 1, 1, 0]);
    expect(python.at(-4)?.stdout).toContain('"id": "stonith-enabled"');
    expect(python.find((_, i) => JSON.stringify(commands[i]) === JSON.stringify(exec("uname", "-n")))?.stdout).toBe(`${hostname()}\n`);
  });

  it("answers systemctl is-enabled and is-active from one `systemctl show` as systemd 252 printed them on the test bed", async (ctx) => {
    interpreter(ctx);
    // GIVEN a systemctl that answers `show` as the test bed's did, and nothing else
    const fixture = "test/fixtures/debian12/systemctl";
    const bin = scratchDir("fake-systemctl");
    writeFileSync(join(bin, "systemctl"), `#!/bin/sh\n[ "$1" = show ] && exec cat "${join(process.cwd(), fixture, "show.out")}"\nexit 99\n`, { mode: 0o755 });
    const real = readFileSync(join(fixture, "is-enabled-is-active.tsv"), "utf8").replace(/\n$/, "").split("\n").map((line) => line.split("\t") as [string, string, string, string, string]);
    const commands = real.map(([verb, unit]) => exec("systemctl", verb, unit));
    // WHEN read_batch.py answers the same questions
    const answers = await viaPython(path, commands, undefined, { PATH: `${bin}:${process.env.PATH ?? ""}` });
    // THEN it says what systemctl said, exit status, stdout and stderr
    expect(answers.map((a) => [a.code, a.stdout.trimEnd(), a.stderr.trimEnd()])).toEqual(real.map(([, , code, stdout, stderr]) => [Number(code), stdout, stderr]));
  });

  it("answers dpkg-query for installed packages from dpkg's status file, and leaves the rest to dpkg-query", async (ctx) => {
    interpreter(ctx);
    needs(ctx, existsSync("/var/lib/dpkg/status"), "dpkg's status database", "run on a Debian machine");
    // GIVEN the package reads the steps make, and a dpkg-query on PATH that only fails
    const asBatch = (read: Read): BatchCommand => (read.kind === "file" ? read : exec(...(read.argv as [string, ...string[]])));
    const installed = asBatch(packagesReads("apt", ["python3", "coreutils", "bash"])[0] as Read);
    const version = asBatch(pcsVersion);
    const unknown = asBatch(packagesReads("apt", ["bash", "gfsdeploy-no-such-package"])[0] as Read);
    const bin = scratchDir("failing-dpkg-query");
    writeFileSync(join(bin, "dpkg-query"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    // WHEN read_batch.py answers them with that PATH, and the real commands run as they are
    const answers = await viaPython(path, [installed, version, unknown], undefined, { PATH: `${bin}:${process.env.PATH ?? ""}` });
    const real = await shellBatch(withEnv({ PATH: process.env.PATH ?? "" }), "localhost", [installed, version]);
    // THEN the installed packages are answered byte for byte as dpkg-query does, without it
    expect(answers.slice(0, 2).map((a) => [a.code, a.stdout])).toEqual(real.map((r) => [r.code, r.stdout]));
    expect(answers[0]?.stdout).toMatch(/^bash\tii \ncoreutils\tii \npython3\tii \n$/);
    // AND a package dpkg does not know goes to dpkg-query itself
    expect(answers[2]?.code).toBe(99);
  });
});
