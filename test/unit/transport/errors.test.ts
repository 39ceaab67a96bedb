import { describe, expect, it } from "vitest";
import { RemoteCommandError } from "../../../src/errors.js";
import { mustExec, mustSucceed } from "../../../src/transport/errors.js";
import { exitWith, FakeTransport, ok } from "../../../src/transport/fake.js";

function thrown(action: () => unknown): RemoteCommandError {
  try {
    action();
  } catch (error) {
    if (error instanceof RemoteCommandError) return error;
    throw error;
  }
  throw new Error("expected a RemoteCommandError");
}

describe("mustSucceed", () => {
  const node = { host: "node1" };

  it("returns a successful result unchanged", () => {
    const result = ok("out");
    expect(mustSucceed(result, node, "true")).toBe(result);
  });

  it("names host, step, the quoted command line, the exit status and stderr", () => {
    const error = thrown(() =>
      mustSucceed(exitWith(10, "drbdadm: no resources defined!\n"), node, "drbdadm", ["up", "r 0"], "node1/drbd/r0/up"),
    );
    expect(error).toMatchObject({ host: "node1", command: "drbdadm up 'r 0'", code: 10, stepId: "node1/drbd/r0/up" });
    expect(error.message).toBe("[node1/drbd/r0/up] node1: `drbdadm up 'r 0'` exited 10\ndrbdadm: no resources defined!");
  });

  it("keeps only the tail of a long stderr", () => {
    const stderr = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n");
    const error = thrown(() => mustSucceed(exitWith(1, stderr), node, "make"));
    expect(error.stderrTail.split("\n")).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i + 29}`));
  });

  it("explains the statuses a shell and timeout(1) give", () => {
    expect(thrown(() => mustSucceed(exitWith(127), node, "pcs")).hint).toMatch(/not found/);
    expect(thrown(() => mustSucceed(exitWith(124), node, "pcs")).hint).toMatch(/ran out of time/);
    expect(thrown(() => mustSucceed(exitWith(1), node, "pcs")).hint).toMatch(/by hand/);
  });

  it("blanks out stdin that the command echoed back", () => {
    // GIVEN a command fed a password that complains with the password in its message
    const stdin = "hacluster:Tr0ub4dor&3\n";
    const stderr = "chpasswd: bad line 'hacluster:Tr0ub4dor&3'\nrejected password Tr0ub4dor&3 for hacluster\n";
    // WHEN it becomes an error
    const error = thrown(() => mustSucceed(exitWith(1, stderr), node, "chpasswd", [], undefined, stdin));
    // THEN no part of the secret is left in what gets printed
    expect(error.message).not.toContain("Tr0ub4dor");
    expect(error.stderrTail).toBe("chpasswd: bad line '[redacted]'\nrejected password [redacted] for [redacted]");
  });

  it("leaves short words of stdin alone, so ordinary messages stay readable", () => {
    const error = thrown(() => mustSucceed(exitWith(1, "no such user: bob"), node, "chpasswd", [], undefined, "bob:longpassword\n"));
    expect(error.stderrTail).toBe("no such user: bob");
  });
});

describe("mustExec", () => {
  it("returns the result of a successful command", async () => {
    const fake = new FakeTransport("node1").on(["uname", "-r"], ok("6.1.0\n"));
    expect((await mustExec(fake, "uname", ["-r"])).stdout).toBe("6.1.0\n");
  });

  it("passes stdin and time limit through, and keeps stdin out of the error", async () => {
    const secret = "drbd-shared-secret-0123456789";
    const fake = new FakeTransport("node2").on(["drbdsetup", "check"], (call) => exitWith(2, `bad secret ${String(call.options.stdin)}`));
    const failure = mustExec(fake, "drbdsetup", ["check"], { stdin: secret, timeoutMs: 5000, stepId: "node2/drbd/check" });
    await expect(failure).rejects.toThrow(RemoteCommandError);
    await expect(failure).rejects.toThrow("[node2/drbd/check] node2: `drbdsetup check` exited 2\nbad secret [redacted]");
    expect(fake.calls[0]).toMatchObject({ kind: "exec", options: { stdin: secret, timeoutMs: 5000 } });
    expect(fake.calls[0]).not.toHaveProperty("options.stepId");
  });
});
