import { describe, expect, it } from "vitest";
import { LockedError, RemoteCommandError } from "../../../src/errors.js";
import { acquireClusterLock, lockHolderText } from "../../../src/run/lock.js";
import { endedWith, FakeTransport, type FakeHoldCall, readyAfter } from "../../../src/transport/fake.js";
import type { Transport } from "../../../src/transport/types.js";

const HINT = "wait for it to finish; a crashed apply's lock goes away with its SSH session";

function isLockCommand(command: string, args: readonly string[]): boolean {
  return command === "sh" && args[0] === "-c" && args[2] === "gfsdeploy-lock";
}

/** The holder text a lock command was started with: its last argument. */
function holderOf(call: FakeHoldCall): string {
  return call.args.at(-1) ?? "";
}

/**
 * A node whose lock behaves as the script's flock -n does: one holder at a time, refused
 * with the holder's text and exit 75 while held, free again once released.
 */
function lockableNode(name: string, order: string[] = []): FakeTransport {
  return new FakeTransport(name).onHold(isLockCommand, (_call, fake) => {
    order.push(name);
    const [current] = fake.holding();
    return current === undefined ? readyAfter("LOCKED\n") : endedWith(75, `HELD BY ${holderOf(current)}\n`);
  });
}

function cluster(...nodes: FakeTransport[]): Map<string, Transport> {
  return new Map(nodes.map((node) => [node.host, node]));
}

async function lockedError(action: Promise<unknown>): Promise<LockedError> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockedError);
  return error as LockedError;
}

describe("acquireClusterLock", () => {
  it("locks every node in name order, whatever order the map lists them in", async () => {
    // GIVEN three nodes listed out of order
    const order: string[] = [];
    const nodes = ["node3", "node1", "node2"].map((name) => lockableNode(name, order));
    // WHEN the lock is taken
    const lock = await acquireClusterLock(cluster(...nodes), "alice@ctl pid 7 since 2024-05-01T10:00:00.000Z", { path: "/tmp/t.lock" });
    // THEN each node was asked once, in name order, with the path and holder as arguments
    expect(order).toEqual(["node1", "node2", "node3"]);
    for (const node of nodes) {
      const [call] = node.holding();
      expect(call?.args.slice(2)).toEqual(["gfsdeploy-lock", "/tmp/t.lock", "alice@ctl pid 7 since 2024-05-01T10:00:00.000Z"]);
      expect(call?.options.timeoutMs).toBeGreaterThan(0);
    }
    // AND release lets go of every node
    await lock.release();
    expect(nodes.map((node) => node.holding())).toEqual([[], [], []]);
  });

  it("uses /run/gfsdeploy.lock unless told otherwise", async () => {
    const node = lockableNode("node1");
    await acquireClusterLock(cluster(node), "me");
    expect(node.holding()[0]?.args[3]).toBe("/run/gfsdeploy.lock");
  });

  it("on a refusal, releases the nodes already locked and names the node and its holder", async () => {
    // GIVEN node2 already locked by another apply
    const [node1, node2, node3] = ["node1", "node2", "node3"].map((name) => lockableNode(name));
    if (node1 === undefined || node2 === undefined || node3 === undefined) throw new Error("three nodes");
    await acquireClusterLock(cluster(node2), "bob@other pid 42 since 2024-05-01T09:00:00.000Z");
    // WHEN this apply tries to lock the cluster
    const error = await lockedError(acquireClusterLock(cluster(node1, node2, node3), "alice@ctl pid 7 since now"));
    // THEN the message names node2 and bob's apply, the hint says what to do
    expect(error.message).toBe("another gfsdeploy apply holds the cluster lock on node2: bob@other pid 42 since 2024-05-01T09:00:00.000Z");
    expect(error.hint).toBe(HINT);
    // AND node1, locked first, was released again, node3 was never asked, and bob still holds node2
    expect(node1.calls.map((call) => call.kind)).toEqual(["hold", "release"]);
    expect(node1.holding()).toEqual([]);
    expect(node3.calls).toEqual([]);
    expect(node2.holding().map(holderOf)).toEqual(["bob@other pid 42 since 2024-05-01T09:00:00.000Z"]);
  });

  it("lets exactly one of two racing controllers win, even when they list the nodes in opposite orders", async () => {
    const names = ["node-a", "node-b", "node-c"];
    const nodes = names.map((name) => lockableNode(name));
    const forwards = cluster(...nodes);
    const backwards = cluster(...[...nodes].reverse());
    const [first, second] = await Promise.allSettled([
      acquireClusterLock(forwards, "first"),
      acquireClusterLock(backwards, "second"),
    ]);
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    expect(second.status === "rejected" && (second.reason as Error).message).toBe(
      "another gfsdeploy apply holds the cluster lock on node-a: first",
    );
    expect(nodes.map((node) => node.holding().map(holderOf))).toEqual([["first"], ["first"], ["first"]]);
  });

  it("says so when the holder has not recorded its name yet", async () => {
    const node = new FakeTransport("node1").onHold(isLockCommand, endedWith(75, "HELD BY \n"));
    const error = await lockedError(acquireClusterLock(cluster(node), "me"));
    expect(error.message).toBe("another gfsdeploy apply holds the cluster lock on node1: (holder not recorded yet)");
  });

  it("reports a node that cannot take the lock at all as a failed command, not as a held lock", async () => {
    // GIVEN node2 without flock(1), which exits 127 before any holder is read
    const node1 = lockableNode("node1");
    const node2 = new FakeTransport("node2").onHold(isLockCommand, endedWith(127, "sh: 2: flock: not found\n"));
    // WHEN locking, THEN the error is the command's failure with the shell's message
    const error = await acquireClusterLock(cluster(node1, node2), "me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((error as RemoteCommandError).message).toBe(
      "node2: `take the cluster lock /run/gfsdeploy.lock` exited 127\nsh: 2: flock: not found",
    );
    expect((error as RemoteCommandError).hint).toContain("install the package");
    // AND node1 was released
    expect(node1.holding()).toEqual([]);
  });

  it("releases the nodes already locked when a later node cannot be reached", async () => {
    const node1 = lockableNode("node1");
    const node2 = lockableNode("node2");
    await node2.close();
    await expect(acquireClusterLock(cluster(node1, node2), "me")).rejects.toThrow(/node2 was used after close/);
    expect(node1.holding()).toEqual([]);
  });

  it("can be released twice", async () => {
    const node = lockableNode("node1");
    const lock = await acquireClusterLock(cluster(node), "me");
    await lock.release();
    await lock.release();
    expect(node.calls.map((call) => call.kind)).toEqual(["hold", "release"]);
  });
});

describe("lockHolderText", () => {
  it("says who, where, which process and since when", () => {
    const before = Date.now();
    const text = lockHolderText();
    const [, user, host, pid, since] = /^(.+)@(.+) pid (\d+) since (\S+)$/.exec(text) ?? [];
    expect(user).not.toBe("");
    expect(host).not.toBe("");
    expect(Number(pid)).toBe(process.pid);
    expect(Date.parse(since ?? "")).toBeGreaterThanOrEqual(before - 1000);
  });
});
