import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConnectionError, InternalError, RemoteCommandError } from "../../../src/errors.js";
import { type BatchExec, shellBatch } from "../../../src/transport/batch.js";
import { SshTransport, type SshTransportOptions } from "../../../src/transport/ssh.js";
import { freePort, keygen, startSshd, type TestSshd } from "./sshd.js";

// Every byte value, so any text decoding on the way would show.
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

let sshd: TestSshd;
let knownHostsFile: string;
let node: SshTransport;
const opened: SshTransport[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  knownHostsFile = join(sshd.dir, "known_hosts");
  await writeFile(knownHostsFile, `${sshd.knownHostsLine}\n`);
  node = transport();
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await sshd?.stop();
});

/** A transport to the test sshd; only ever 127.0.0.1. */
function transport(overrides: Partial<SshTransportOptions> = {}): SshTransport {
  const t = new SshTransport({
    host: "node1",
    address: "127.0.0.1",
    port: sshd.port,
    user: "root",
    identityFile: sshd.identityFile,
    knownHostsFile,
    ...overrides,
  });
  opened.push(t);
  return t;
}

async function connectionError(action: Promise<unknown>): Promise<ConnectionError> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

/** Writes a known_hosts file for one test and returns its path. */
async function knownHosts(name: string, content: string): Promise<string> {
  const path = join(sshd.dir, name);
  await writeFile(path, content);
  return path;
}

describe("SshTransport exec", () => {
  it("delivers arguments that need quoting exactly", async () => {
    const args = ["", "a b", "it's", '"', "$HOME", "$(echo INJECTED)", "; echo INJECTED", "line\nbreak", "*", "é 日本"];
    const { code, stdout } = await node.exec("printf", ["%s\\000", ...args]);
    expect(code).toBe(0);
    expect(stdout.split("\0").slice(0, -1)).toEqual(args);
  });

  it("returns a non-zero exit as data, with output untrimmed", async () => {
    expect(await node.exec("sh", ["-c", "echo out; echo err >&2; exit 3"])).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
  });

  it("delivers stdin without the secret ever appearing in the process list", async () => {
    // GIVEN a remote command that lists every process's argv, then echoes its stdin
    const secret = "hunter2-correct-horse-battery-staple";
    const { code, stdout } = await node.exec("sh", ["-c", "ps -eo args; cat"], { stdin: `${secret}\n` });
    // THEN the secret arrived, and no command line on the node carried it
    expect(code).toBe(0);
    expect(stdout.endsWith(`${secret}\n`)).toBe(true);
    const processList = stdout.slice(0, -(secret.length + 1));
    expect(processList).toContain("ps -eo args");
    expect(processList).not.toContain(secret);
  });

  it("closes stdin when none is given, so a reading command cannot hang", async () => {
    expect(await node.exec("cat")).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("sets env for the command", async () => {
    const { stdout } = await node.exec("sh", ["-c", 'printf %s "$GREETING"'], { env: { GREETING: "it's $HOME" } });
    expect(stdout).toBe("it's $HOME");
  });

  it("kills a command on the node when its time runs out and reports exit 124", async () => {
    const result = await node.exec("sleep", ["30.517"], { timeoutMs: 300 });
    expect(result.code).toBe(124);
    expect(result.stderr).toContain("sleep: timed out after 300 ms");
    expect((await node.exec("pgrep", ["-fx", "sleep 30.517"])).code).toBe(1);
  });

  it("reports a command killed by a signal as 128 + its number", async () => {
    expect((await node.exec("sh", ["-c", "kill -KILL $$"])).code).toBe(128 + 9);
  });
});

describe("SshTransport files", () => {
  it("reads undefined for a missing file and exact bytes for an existing one", async () => {
    const path = join(sshd.dir, "bytes.bin");
    await writeFile(path, ALL_BYTES);
    expect(await node.readFile(join(sshd.dir, "missing"))).toBeUndefined();
    expect(await node.readFile(path)).toEqual(ALL_BYTES);
  });

  it.each([0o400, 0o600])("writes binary content atomically with mode %o, owned by root", async (mode) => {
    // GIVEN an older world-readable file at the target
    const path = join(sshd.dir, `secret-${mode.toString(8)}`);
    await writeFile(path, "old content", { mode: 0o644 });
    // WHEN it is replaced
    await node.writeFile(path, ALL_BYTES, { mode });
    // THEN it holds the new bytes with the new mode and owner, and no temporary file is left
    const info = await stat(path);
    expect(info.mode & 0o7777).toBe(mode);
    expect([info.uid, info.gid]).toEqual([0, 0]);
    expect(await readFile(path)).toEqual(ALL_BYTES);
    expect(await node.readFile(path)).toEqual(ALL_BYTES);
    expect((await readdir(sshd.dir)).filter((name) => name.startsWith(".gfsdeploy-tmp"))).toEqual([]);
  });

  it("streams a large body through stdin intact", async () => {
    const body = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const path = join(sshd.dir, "large.bin");
    await node.writeFile(path, body);
    expect((await readFile(path)).equals(body)).toBe(true);
    expect((await node.readFile(path))?.equals(body)).toBe(true);
  });

  it("fails naming the node and the file when the directory is missing", async () => {
    const write = node.writeFile(join(sshd.dir, "no-dir", "file"), "x");
    await expect(write).rejects.toThrow(RemoteCommandError);
    await expect(write).rejects.toThrow(/^node1: `write .*no-dir\/file \(mode 0644, owner root\)` exited 1\nmktemp: /);
  });
});

describe("SshTransport batch", () => {
  it("runs every command of a batch in one remote execution, each with its own exit status, stdout and stderr", async () => {
    const path = join(sshd.dir, "batch-file");
    await writeFile(path, "no newline at the end");
    const results = await node.batch([
      { kind: "exec", argv: ["sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 4"] },
      { kind: "file", path },
      { kind: "file", path: join(sshd.dir, "missing") },
      { kind: "exec", argv: ["gfsdeploy-no-such-command"] },
      { kind: "exec", argv: ["printf", "%s", "two\n\nblank lines\n\n"] },
    ]);
    expect(results.map((r) => r.code)).toEqual([4, 0, 3, 127, 0]);
    expect(results[0]).toEqual({ code: 4, stdout: "out\n", stderr: "err\n", ms: expect.any(Number) as number });
    // AND each read is timed on the node (-v names the slowest)
    expect(results.every((r) => Number.isInteger(r.ms) && (r.ms as number) >= 0)).toBe(true);
    expect(results[1]?.stdout).toBe("no newline at the end");
    expect(results[4]?.stdout).toBe("two\n\nblank lines\n\n");
  });

  it("without Python (the shell batch), cannot be misled by output that imitates its framing, and leaves no temporary directory", async () => {
    const fake = "\n==> /tmp/gfsdeploy-batch-000000000000000000/1.c <==\n0\n";
    const exec: BatchExec = ([command, ...args], stdin) => node.exec(command, args, stdin ? { stdin } : {});
    const results = await shellBatch(exec, "node1", [{ kind: "exec", argv: ["printf", "%s", fake] }, { kind: "exec", argv: ["false"] }]);
    expect(results).toEqual([{ code: 0, stdout: fake, stderr: "" }, { code: 1, stdout: "", stderr: "" }]);
    expect((await node.exec("sh", ["-c", "ls -d /tmp/gfsdeploy-batch-* 2>/dev/null | wc -l"])).stdout.trim()).toBe("0");
  });

  it("feeds its stdin to the one command marked for it, and to no command line", async () => {
    const secret = "batch-secret-7Hq2";
    const results = await node.batch([{ kind: "exec", argv: ["cat"] }, { kind: "exec", argv: ["cat"], stdin: true }, { kind: "exec", argv: ["sh", "-c", "ps -eo args"] }], Buffer.from(secret));
    expect(results[0]?.stdout).toBe("");
    expect(results[1]?.stdout).toBe(secret);
    expect(results[2]?.stdout).not.toContain(secret);
  });

  it("runs its commands side by side, not one after another", async () => {
    const started = Date.now();
    const results = await node.batch(Array.from({ length: 6 }, () => ({ kind: "exec" as const, argv: ["sleep", "1"] })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("SshTransport hold", () => {
  const readyPattern = /^READY$/m;

  it("is ready once stdout matches, keeps the command running, and release waits for its end", async () => {
    // GIVEN a command that says it is ready, then works until its stdin closes
    const marker = join(sshd.dir, "held-ended");
    const script = 'echo starting; echo READY; cat > /dev/null; echo ended > "$1"';
    const held = await node.hold("sh", ["-c", script, "held", marker], { readyPattern });
    // THEN hold returned with the output so far, while the command still runs
    expect(held).toMatchObject({ ready: true, output: "starting\nREADY\n" });
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    // AND the connection carries other calls meanwhile
    expect((await node.exec("echo", ["alongside"])).stdout).toBe("alongside\n");
    // WHEN it is released, THEN it has finished by the time release returns
    await held.release();
    expect(await readFile(marker, "utf8")).toBe("ended\n");
    await held.release();
  });

  it("reports a command that ends before it is ready, with its status and all its output", async () => {
    const held = await node.hold("sh", ["-c", "echo out; echo err >&2; exit 3"], { readyPattern });
    expect(held).toMatchObject({ ready: false, code: 3, output: "out\nerr\n" });
  });

  it("gives up after timeoutMs with exit 124, closing the command's stdin so it ends", async () => {
    const marker = join(sshd.dir, "timed-out-ended");
    const script = 'echo waiting; cat > /dev/null; echo ended > "$1"';
    const held = await node.hold("sh", ["-c", script, "held", marker], { readyPattern, timeoutMs: 200 });
    expect(held).toMatchObject({ ready: false, code: 124, output: "waiting\nsh: timed out after 200 ms waiting for /^READY$/m\n" });
    await vi.waitFor(async () => expect(await readFile(marker, "utf8")).toBe("ended\n"), { timeout: 5000, interval: 20 });
  });

  it("reports a connection lost before the command was ready", async () => {
    const doomed = transport();
    const error = await connectionError(doomed.hold("sh", ["-c", "kill -KILL $PPID; sleep 5"], { readyPattern }));
    expect(error.message).toMatch(/^node1 \(127\.0\.0\.1:\d+\): the connection was lost: /);
  });
});

describe("SshTransport connection", () => {
  it("runs every call over one TCP connection, queueing beyond sshd's session limit", async () => {
    // GIVEN a fresh transport
    const before = await sshd.acceptedLogins();
    const fresh = transport();
    // WHEN it runs sequential calls, then more parallel calls than sshd's MaxSessions (10)
    const sequential: string[] = [];
    for (let i = 0; i < 5; i++) sequential.push((await fresh.exec("sh", ["-c", "echo $SSH_CONNECTION"])).stdout);
    const parallel = await Promise.all(
      Array.from({ length: 14 }, () => fresh.exec("sh", ["-c", "sleep 0.1; echo $SSH_CONNECTION"])),
    );
    await fresh.writeFile(join(sshd.dir, "reuse"), "x");
    await fresh.readFile(join(sshd.dir, "reuse"));
    // THEN everything succeeded from the same client port, and sshd saw a single login
    expect(parallel.map((r) => r.code)).toEqual(Array(14).fill(0));
    expect(new Set([...sequential, ...parallel.map((r) => r.stdout)]).size).toBe(1);
    expect((await sshd.acceptedLogins()) - before).toBe(1);
  });

  it("waits for a free session when the node allows fewer than it is asked for", async () => {
    // GIVEN a node that allows two sessions per connection
    const strict = await startSshd(["MaxSessions 2"]);
    try {
      const file = await knownHosts("known_hosts.strict", `${strict.knownHostsLine}\n`);
      const narrow = transport({ port: strict.port, identityFile: strict.identityFile, knownHostsFile: file });
      // WHEN eight commands run at once
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => narrow.exec("sh", ["-c", `sleep 0.05; echo ${i}`])));
      // THEN each ran once and succeeded
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
      await narrow.close();
    } finally {
      await strict.stop();
    }
  });

  it("reports a node it cannot reach, naming node and address, and does not retry", async () => {
    const port = await freePort();
    const unreachable = transport({ host: "node9", port });
    const error = await connectionError(unreachable.exec("true"));
    expect(error.message).toBe(`node9 (127.0.0.1:${port}): cannot connect: connection refused`);
    expect(error.hint).toContain(`listens on 127.0.0.1 port ${port}`);
    // A later call reports the same failure rather than trying again.
    expect((await connectionError(unreachable.readFile("/etc/hostname"))).message).toBe(error.message);
  });

  it("gives up on a node that accepts TCP but never speaks SSH", async () => {
    // GIVEN a listener on 127.0.0.1 that holds connections open and stays silent
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const error = await connectionError(transport({ port, connectTimeoutMs: 300 }).exec("true"));
      expect(error.message).toBe(`node1 (127.0.0.1:${port}): cannot connect: no answer within 300 ms`);
      expect(error.hint).toContain("raise connectTimeoutMs");
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it("reports a refused login with how to install the key", async () => {
    const stranger = join(sshd.dir, "stranger");
    await keygen(stranger);
    const error = await connectionError(transport({ identityFile: stranger }).exec("true"));
    expect(error.message).toBe(`node1 (127.0.0.1:${sshd.port}): cannot connect: logging in as root with ${stranger} was refused`);
    expect(error.hint).toContain(`ssh-copy-id -i ${stranger} -p ${sshd.port} root@127.0.0.1`);
  });

  it("reports an identity file it cannot read", async () => {
    const error = await connectionError(transport({ identityFile: join(sshd.dir, "no-key") }).exec("true"));
    expect(error.message).toMatch(/^node1 \(127\.0\.0\.1:\d+\): cannot read the identity file .*no-key: ENOENT/);
  });

  it("reports a connection lost under a running command, and on every later call", async () => {
    // GIVEN a command that kills the sshd process serving its own connection
    const doomed = transport();
    expect((await doomed.exec("true")).code).toBe(0);
    const error = await connectionError(doomed.exec("sh", ["-c", "kill -KILL $PPID; sleep 5"]));
    expect(error.message).toMatch(/^node1 \(127\.0\.0\.1:\d+\): the connection was lost: /);
    // THEN later calls fail the same way instead of hanging or crashing the process
    await connectionError(doomed.exec("true"));
  });

  it("refuses to be used after close", async () => {
    const closing = transport();
    await closing.exec("true");
    await closing.close();
    await expect(closing.exec("true")).rejects.toThrow(InternalError);
  });
});

describe("SshTransport host key verification", () => {
  it("accepts the key recorded in a hashed known_hosts file", async () => {
    const file = await knownHosts("known_hosts.hashed", `${sshd.knownHostsLine}\n`);
    await execa("ssh-keygen", ["-H", "-f", file]);
    expect(await readFile(file, "utf8")).toMatch(/^\|1\|/);
    expect((await transport({ knownHostsFile: file }).exec("true")).code).toBe(0);
  });

  it("refuses an unknown key with a hint whose ssh-keyscan command fixes it", async () => {
    // GIVEN a known_hosts file that does not list the node
    const file = await knownHosts("known_hosts.unknown", "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkmvoHvU7owC5i1zFUZW3+bJzH7bcGsCF7AEnd4ILJl\n");
    // WHEN connecting, THEN the refusal names node, address and the unknown key
    const error = await connectionError(transport({ knownHostsFile: file }).exec("true"));
    expect(error.message).toMatch(
      new RegExp(`^node1 \\(127\\.0\\.0\\.1:${sshd.port}\\): the host key is unknown: .* has no entry for \\[127\\.0\\.0\\.1\\]:${sshd.port}; the node presented ssh-ed25519 SHA256:`),
    );
    const keyscan = `ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${file}`;
    expect(error.hint).toContain(keyscan);
    expect(error.hint).toContain("--accept-new-host-keys");
    // AND running the suggested command lets the next run in
    await execa("sh", ["-c", keyscan]);
    expect((await transport({ knownHostsFile: file }).exec("true")).code).toBe(0);
  });

  it("records an unknown key with acceptNewHostKeys, then knows it", async () => {
    // GIVEN a known_hosts file whose last line lacks its newline
    const other = "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOkmvoHvU7owC5i1zFUZW3+bJzH7bcGsCF7AEnd4ILJl";
    const file = await knownHosts("known_hosts.accept", other);
    // WHEN connecting with acceptNewHostKeys
    expect((await transport({ knownHostsFile: file, acceptNewHostKeys: true }).exec("true")).code).toBe(0);
    // THEN the key was appended on a line of its own, and a strict transport now accepts it
    expect(await readFile(file, "utf8")).toBe(`${other}\n${sshd.knownHostsLine}\n`);
    expect((await transport({ knownHostsFile: file }).exec("true")).code).toBe(0);
  });

  it("creates a missing known_hosts file when accepting new keys", async () => {
    const file = join(sshd.dir, "known_hosts.created");
    expect((await transport({ knownHostsFile: file, acceptNewHostKeys: true }).exec("true")).code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(`${sshd.knownHostsLine}\n`);
  });

  it("refuses a changed key loudly, even with acceptNewHostKeys, and leaves the file alone", async () => {
    // GIVEN known_hosts recording another ed25519 key for the node
    const impostor = join(sshd.dir, "impostor");
    await keygen(impostor);
    const [type, key] = (await readFile(`${impostor}.pub`, "utf8")).split(" ");
    const content = `[127.0.0.1]:${sshd.port} ${type} ${key}\n`;
    const file = await knownHosts("known_hosts.changed", content);
    // WHEN connecting, even while accepting new keys
    const error = await connectionError(transport({ knownHostsFile: file, acceptNewHostKeys: true }).exec("true"));
    // THEN the refusal says what changed and why it matters
    expect(error.message).toContain(`node1 (127.0.0.1:${sshd.port}): THE HOST KEY HAS CHANGED.`);
    expect(error.message).toMatch(/records ssh-ed25519 SHA256:\S+ \(line 1\)/);
    expect(error.message).toContain("man in the middle");
    expect(error.message).toContain("reinstalled");
    expect(error.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${file}`);
    expect(await readFile(file, "utf8")).toBe(content);
  });

  it("treats a node offering none of its recorded key types as changed", async () => {
    // GIVEN known_hosts recording only an ECDSA key, while the node has just ed25519
    const content = `[127.0.0.1]:${sshd.port} ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEJAQLBIFevuhymUu9faz2iIR5d5ggPLcHZvM4aa8pmw2XSHhd+U/acp+jBv/96R+R+R8bIUu8Tw+nPLd6zH4sw=\n`;
    const file = await knownHosts("known_hosts.othertype", content);
    const error = await connectionError(transport({ knownHostsFile: file, acceptNewHostKeys: true }).exec("true"));
    expect(error.message).toContain("THE HOST KEY HAS CHANGED.");
    expect(error.message).toContain("offers none of those key types");
    expect(await readFile(file, "utf8")).toBe(content);
  });

  it("refuses a revoked key even where it is recorded", async () => {
    const [, type, key] = sshd.knownHostsLine.split(" ");
    const file = await knownHosts("known_hosts.revoked", `${sshd.knownHostsLine}\n@revoked * ${type} ${key}\n`);
    const error = await connectionError(transport({ knownHostsFile: file }).exec("true"));
    expect(error.message).toContain("REVOKED host key");
  });
});
