import { describe, expect, it } from "vitest";
import { InternalError } from "../../../src/errors.js";
import { exitWith, FakeTransport, ok } from "../../../src/transport/fake.js";

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

describe("FakeTransport close", () => {
  it("refuses every call afterwards, as the real transports do", async () => {
    const fake = new FakeTransport("node1");
    await fake.close();
    await expect(fake.exec("true")).rejects.toThrow(InternalError);
    await expect(fake.readFile("/x")).rejects.toThrow(/node1 was used after close/);
    await expect(fake.writeFile("/x", "")).rejects.toThrow(InternalError);
  });
});
