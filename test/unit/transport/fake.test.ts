import { describe, expect, it } from "vitest";
import { InternalError } from "../../../src/errors.js";
import { endedWith, exitWith, FakeTransport, ok, readyAfter } from "../../../src/transport/fake.js";

describe("FakeTransport exec", () => {
  it("answers an unscripted command with 127 and says so, so tests notice", async () => {
    const fake = new FakeTransport("node1");
    const result = await fake.exec("drbdadm", ["create-md", "my r0"]);
    expect(result).toEqual({ code: 127, stdout: "", stderr: "fake: no reply scripted for drbdadm create-md 'my r0'\n" });
  });

  it("matches an exact argv, and only that argv", async () => {
    const fake = new FakeTransport().on(["systemctl", "is-active", "corosync"], ok("active\n"));
    expect(await fake.exec("systemctl", ["is-active", "corosync"])).toEqual({ code: 0, stdout: "active\n", stderr: "" });
    expect((await fake.exec("systemctl", ["is-active", "pacemaker"])).code).toBe(127);
    expect((await fake.exec("systemctl", ["is-active", "corosync", "--quiet"])).code).toBe(127);
  });

  it("matches a predicate over command and arguments", async () => {
    const fake = new FakeTransport().on((command, args) => command === "pcs" && args[0] === "resource", exitWith(1, "no such resource"));
    expect(await fake.exec("pcs", ["resource", "config", "fs"])).toEqual({ code: 1, stdout: "", stderr: "no such resource" });
    expect((await fake.exec("pcs", ["status"])).code).toBe(127);
  });

  it("lets the latest matching registration win, so a reply can change between check and apply", async () => {
    // GIVEN a command that first reports no metadata
    const fake = new FakeTransport().on(["drbdadm", "dump-md", "r0"], exitWith(255, "No valid meta data found"));
    expect((await fake.exec("drbdadm", ["dump-md", "r0"])).code).toBe(255);
    // WHEN the test scripts the state after apply
    fake.on((command) => command === "drbdadm", ok("version \"v09\";\n"));
    // THEN the newer reply answers
    expect((await fake.exec("drbdadm", ["dump-md", "r0"])).code).toBe(0);
  });

  it("computes replies from the call and the fake's files, also asynchronously", async () => {
    const fake = new FakeTransport()
      .on(["cat-stdin"], (call) => ok(String(call.options.stdin)))
      .on(
        ["touch", "/etc/flag"],
        (_call, self) =>
          new Promise((resolve) =>
            setImmediate(() => {
              self.setFile("/etc/flag", "");
              resolve(ok());
            }),
          ),
      )
      .on(["test", "-e", "/etc/flag"], (_call, self) => exitWith(self.files.has("/etc/flag") ? 0 : 1));
    expect((await fake.exec("cat-stdin", [], { stdin: "secret" })).stdout).toBe("secret");
    expect((await fake.exec("test", ["-e", "/etc/flag"])).code).toBe(1);
    await fake.exec("touch", ["/etc/flag"]);
    expect((await fake.exec("test", ["-e", "/etc/flag"])).code).toBe(0);
  });

  it("hands out copies of results, so a caller cannot change the script", async () => {
    const fake = new FakeTransport().on(["hostname"], ok("node1\n"));
    const first = await fake.exec("hostname");
    first.stdout = "changed";
    expect((await fake.exec("hostname")).stdout).toBe("node1\n");
  });
});

describe("FakeTransport files", () => {
  it("reads undefined for a missing file and a copy of an existing one", async () => {
    const fake = new FakeTransport().setFile("/etc/hosts", "127.0.0.1 localhost\n");
    expect(await fake.readFile("/etc/nope")).toBeUndefined();
    const body = await fake.readFile("/etc/hosts");
    body?.fill(0);
    expect(fake.fileText("/etc/hosts")).toBe("127.0.0.1 localhost\n");
  });

  it("writes with mode 0644 and owner root by default, the group following the owner", async () => {
    const fake = new FakeTransport();
    await fake.writeFile("/etc/a", "a");
    await fake.writeFile("/etc/b", Buffer.from([0, 255]), { mode: 0o400, owner: "hacluster" });
    await fake.writeFile("/etc/c", "c", { mode: 0o640, owner: "root", group: "haclient" });
    expect(fake.files.get("/etc/a")).toEqual({ body: Buffer.from("a"), mode: 0o644, owner: "root", group: "root" });
    expect(fake.files.get("/etc/b")).toEqual({ body: Buffer.from([0, 255]), mode: 0o400, owner: "hacluster", group: "hacluster" });
    expect(fake.files.get("/etc/c")).toMatchObject({ mode: 0o640, owner: "root", group: "haclient" });
  });
});

describe("FakeTransport records", () => {
  it("every call in order, with stdin and write options", async () => {
    const fake = new FakeTransport().on(["chpasswd"], ok());
    await fake.readFile("/etc/corosync/corosync.conf");
    await fake.exec("chpasswd", [], { stdin: "hacluster:s3cret\n" });
    await fake.writeFile("/etc/corosync/authkey", "key", { mode: 0o400 });
    expect(fake.calls).toEqual([
      { kind: "readFile", path: "/etc/corosync/corosync.conf" },
      { kind: "exec", command: "chpasswd", args: [], options: { stdin: "hacluster:s3cret\n" } },
      { kind: "writeFile", path: "/etc/corosync/authkey", body: Buffer.from("key"), options: { mode: 0o400 } },
    ]);
  });

  it("setFile is the host's prior state, not a call", () => {
    const fake = new FakeTransport().setFile("/etc/x", "x");
    expect(fake.calls).toEqual([]);
  });

  it("lists executed commands as shell lines", async () => {
    const fake = new FakeTransport();
    await fake.exec("mkfs.gfs2", ["-t", "cluster:gfs 0", "/dev/drbd0"]);
    await fake.readFile("/etc/x");
    await fake.exec("sync");
    expect(fake.commandLines()).toEqual(["mkfs.gfs2 -t 'cluster:gfs 0' /dev/drbd0", "sync"]);
  });
});

describe("FakeTransport hold", () => {
  const readyPattern = /^READY$/m;

  it("answers as scripted: ready with the output so far, or ended with a code", async () => {
    const fake = new FakeTransport()
      .onHold(["serve"], readyAfter("starting\nREADY\n"))
      .onHold((command) => command === "broken", endedWith(2, "no config\n"));
    expect(await fake.hold("serve", [], { readyPattern })).toMatchObject({ ready: true, output: "starting\nREADY\n" });
    expect(await fake.hold("broken", ["--now"], { readyPattern })).toMatchObject({ ready: false, code: 2, output: "no config\n" });
  });

  it("answers an unscripted command as not found, like exec", async () => {
    const held = await new FakeTransport().hold("serve", ["a b"], { readyPattern });
    expect(held).toMatchObject({ ready: false, code: 127, output: "fake: no hold reply scripted for serve 'a b'\n" });
  });

  it("computes answers from the call and the fake, synchronously or not", async () => {
    // GIVEN a command that, like a lock, is ready for the first caller only
    const fake = new FakeTransport().onHold(["lock"], (call, self) =>
      self.holding().length === 0 ? readyAfter(`READY ${String(call.options.timeoutMs)}\n`) : endedWith(75),
    );
    // WHEN two callers ask at once, THEN the second already sees the first one's hold
    const [first, second] = await Promise.all([
      fake.hold("lock", [], { readyPattern: /^READY/m, timeoutMs: 50 }),
      fake.hold("lock", [], { readyPattern }),
    ]);
    expect(first).toMatchObject({ ready: true, output: "READY 50\n" });
    expect(second).toMatchObject({ ready: false, code: 75 });
    fake.onHold(["later"], () => Promise.resolve(readyAfter("READY\n")));
    expect((await fake.hold("later", [], { readyPattern })).ready).toBe(true);
  });

  it("refuses a scripted ready output the caller's pattern would not match", async () => {
    const fake = new FakeTransport().onHold(["serve"], readyAfter("listening\n"));
    await expect(fake.hold("serve", [], { readyPattern })).rejects.toThrow(/does not match \/\^READY\$\/m/);
  });

  it("records the hold and, once, its release, and knows what it is holding meanwhile", async () => {
    const fake = new FakeTransport().onHold(["serve", "x"], readyAfter("READY\n")).onHold(["fail"], endedWith(1));
    const held = await fake.hold("serve", ["x"], { readyPattern });
    await fake.hold("fail", [], { readyPattern });
    expect(fake.holding().map((call) => call.command)).toEqual(["serve"]);
    await held.release();
    await held.release();
    expect(fake.holding()).toEqual([]);
    expect(fake.calls).toEqual([
      { kind: "hold", command: "serve", args: ["x"], options: { readyPattern } },
      { kind: "hold", command: "fail", args: [], options: { readyPattern } },
      { kind: "release", command: "serve", args: ["x"] },
    ]);
  });
});

describe("FakeTransport close", () => {
  it("refuses every call afterwards, as the real transports do", async () => {
    const fake = new FakeTransport("node1");
    await fake.close();
    await expect(fake.exec("true")).rejects.toThrow(InternalError);
    await expect(fake.readFile("/x")).rejects.toThrow(/node1 was used after close/);
    await expect(fake.writeFile("/x", "")).rejects.toThrow(InternalError);
    await expect(fake.hold("serve", [], { readyPattern: /READY/ })).rejects.toThrow(InternalError);
  });
});
