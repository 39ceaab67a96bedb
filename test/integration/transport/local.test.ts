import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { InternalError, RemoteCommandError } from "../../../src/errors.js";
import { writeFileArgv } from "../../../src/transport/file-commands.js";
import { LocalTransport } from "../../../src/transport/local.js";

// Every byte value, so any text decoding on the way would show.
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

let dir: string;
const local = new LocalTransport("controller");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gfsdeploy-local-"));
});

afterAll(async () => {
  await local.close();
  await rm(dir, { recursive: true, force: true });
});

async function idOf(user: string): Promise<{ uid: number; gid: number }> {
  const { stdout } = await local.exec("id", [user]);
  const [, uid, gid] = /uid=(\d+).*gid=(\d+)/.exec(stdout) ?? [];
  return { uid: Number(uid), gid: Number(gid) };
}

describe("LocalTransport exec", () => {
  it("passes arguments to the command without any shell reading them", async () => {
    const args = ["$HOME", "a b", "it's", "", "line\nbreak", "; echo INJECTED"];
    const { code, stdout } = await local.exec("printf", ["%s\\000", ...args]);
    expect(code).toBe(0);
    expect(stdout.split("\0").slice(0, -1)).toEqual(args);
  });

  it("returns a non-zero exit as data, with output untrimmed", async () => {
    const result = await local.exec("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(result).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
  });

  it("feeds stdin, binary included, and closes it when none is given", async () => {
    expect((await local.exec("cat", [], { stdin: "secret\n" })).stdout).toBe("secret\n");
    expect((await local.exec("od", ["-An", "-v", "-tu1"], { stdin: ALL_BYTES })).stdout.trim().split(/\s+/).map(Number)).toEqual([
      ...ALL_BYTES,
    ]);
    expect(await local.exec("cat")).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("adds env to the controller's environment", async () => {
    const { stdout } = await local.exec("sh", ["-c", 'printf "%s|%s" "$GREETING" "${PATH:+has path}"'], {
      env: { GREETING: "it's $HOME" },
    });
    expect(stdout).toBe("it's $HOME|has path");
  });

  it("reports a time limit as exit 124, like timeout(1)", async () => {
    const started = Date.now();
    const result = await local.exec("sleep", ["30"], { timeoutMs: 200 });
    expect(result.code).toBe(124);
    expect(result.stderr).toContain("sleep: timed out after 200 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports what a shell would for missing, unexecutable and killed commands", async () => {
    expect(await local.exec("no-such-command-gfsdeploy")).toMatchObject({ code: 127, stderr: "no-such-command-gfsdeploy: command not found\n" });
    const script = join(dir, "not-executable.sh");
    await writeFile(script, "#!/bin/sh\n", { mode: 0o644 });
    expect((await local.exec(script)).code).toBe(126);
    expect((await local.exec("sh", ["-c", "kill -TERM $$"])).code).toBe(128 + 15);
  });
});

describe("LocalTransport hold", () => {
  const readyPattern = /^READY$/m;

  it("is ready once stdout matches, keeps the command running, and release waits for its end", async () => {
    // GIVEN a command that says it is ready, then works until its stdin closes
    const marker = join(dir, "held-ended");
    const script = 'echo starting; echo READY; cat > /dev/null; echo ended > "$1"';
    const held = await local.hold("sh", ["-c", script, "held", marker], { readyPattern });
    // THEN hold returned with the output so far, while the command still runs
    expect(held).toMatchObject({ ready: true, output: "starting\nREADY\n" });
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    // WHEN it is released, THEN it has finished by the time release returns
    await held.release();
    expect(await readFile(marker, "utf8")).toBe("ended\n");
  });

  it("reports a command that ends before it is ready, with its status and all its output", async () => {
    const held = await local.hold("sh", ["-c", "echo out; echo err >&2; exit 3"], { readyPattern });
    expect(held).toMatchObject({ ready: false, code: 3, output: "out\nerr\n" });
    await held.release();
  });

  it("reports a missing command as a shell would", async () => {
    const held = await local.hold("no-such-command-gfsdeploy", [], { readyPattern });
    expect(held).toMatchObject({ ready: false, code: 127, output: "no-such-command-gfsdeploy: command not found\n" });
  });

  it("gives up after timeoutMs with exit 124, closing the command's stdin so it ends", async () => {
    const marker = join(dir, "timed-out-ended");
    const script = 'echo waiting; cat > /dev/null; echo ended > "$1"';
    const held = await local.hold("sh", ["-c", script, "held", marker], { readyPattern, timeoutMs: 200 });
    expect(held).toMatchObject({ ready: false, code: 124, output: "waiting\nsh: timed out after 200 ms waiting for /^READY$/m\n" });
    await vi.waitFor(async () => expect(await readFile(marker, "utf8")).toBe("ended\n"), { timeout: 5000, interval: 20 });
  });
});

describe("LocalTransport files", () => {
  it("reads undefined for a missing file and exact bytes for an existing one", async () => {
    const path = join(dir, "bytes.bin");
    await writeFile(path, ALL_BYTES);
    expect(await local.readFile(join(dir, "missing"))).toBeUndefined();
    expect(await local.readFile(path)).toEqual(ALL_BYTES);
  });

  it("refuses to read a directory instead of calling it missing", async () => {
    await expect(local.readFile(dir)).rejects.toThrow(RemoteCommandError);
  });

  it("writes bytes with mode and owner, replacing the old file and leaving no temporary file", async () => {
    // GIVEN a world-readable file
    const path = join(dir, "authkey");
    await writeFile(path, "old", { mode: 0o644 });
    // WHEN it is replaced by a secret
    await local.writeFile(path, ALL_BYTES, { mode: 0o400 });
    // THEN the new bytes are private to root
    const info = await stat(path);
    expect(info.mode & 0o7777).toBe(0o400);
    expect([info.uid, info.gid]).toEqual([0, 0]);
    expect(await readFile(path)).toEqual(ALL_BYTES);
    expect((await readdir(dir)).filter((name) => name.startsWith(".gfsdeploy-tmp"))).toEqual([]);
  });

  it("gives the file the owner's login group unless a group is named", async () => {
    const nobody = await idOf("nobody");
    const path = join(dir, "owned");
    await local.writeFile(path, "x", { owner: "nobody" });
    const info = await stat(path);
    expect([info.uid, info.gid, info.mode & 0o7777]).toEqual([nobody.uid, nobody.gid, 0o644]);
    await local.writeFile(path, "x", { owner: "nobody", group: "root" });
    expect(await stat(path)).toMatchObject({ uid: nobody.uid, gid: 0 });
  });

  it("fails with the path when the directory is missing, and leaves nothing behind", async () => {
    const write = local.writeFile(join(dir, "no-dir", "file"), "x", { mode: 0o600 });
    await expect(write).rejects.toThrow(RemoteCommandError);
    await expect(write).rejects.toThrow(/controller: `write .*no-dir\/file \(mode 0600, owner root\)` exited 1/);
  });

  it("removes its temporary file when chown fails", async () => {
    const sub = join(dir, "chown-fails");
    await mkdir(sub);
    await expect(local.writeFile(join(sub, "file"), "x", { owner: "no-such-user-gfsdeploy" })).rejects.toThrow(/chown: invalid/);
    expect(await readdir(sub)).toEqual([]);
  });

  it("refuses a mode that is not a Unix mode", async () => {
    await expect(local.writeFile(join(dir, "x"), "x", { mode: 0o10000 })).rejects.toThrow(InternalError);
  });

  it("sets mode and owner before the content lands", async () => {
    // GIVEN a `cat` first on PATH that records the state of the file it is about to fill
    const bin = join(dir, "probe-bin");
    const record = join(dir, "probe-record");
    const realCat = (await local.exec("sh", ["-c", "command -v cat"])).stdout.trim();
    await mkdir(bin);
    // The stat runs in a command substitution: a redirection would make dash point this
    // shell's own stdout at the record file while stat runs.
    await writeFile(
      join(bin, "cat"),
      `#!/bin/sh\nstate=$(stat -L -c '%a %U %s' /proc/$$/fd/1)\necho "$state" > "$PROBE_RECORD"\nexec ${realCat} "$@"\n`,
    );
    await chmod(join(bin, "cat"), 0o755);
    // WHEN the write command runs under it
    const target = join(dir, "probed");
    const [command, ...args] = writeFileArgv(target, { mode: 0o400, owner: "nobody" });
    const result = await local.exec(command, args, {
      stdin: "the secret",
      env: { PATH: `${bin}:${process.env["PATH"] ?? ""}`, PROBE_RECORD: record },
    });
    // THEN the still-empty temporary file already had its final mode and owner
    expect(result.code).toBe(0);
    expect(await readFile(record, "utf8")).toBe("400 nobody 0\n");
    expect(await readFile(target, "utf8")).toBe("the secret");
  });
});
