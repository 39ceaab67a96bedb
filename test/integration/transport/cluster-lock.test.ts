import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LockedError } from "../../../src/errors.js";
import { acquireClusterLock, type ClusterLock } from "../../../src/run/lock.js";
import { LocalTransport } from "../../../src/transport/local.js";
import { SshTransport, type SshTransportOptions } from "../../../src/transport/ssh.js";
import { startSshd, type TestSshd } from "./sshd.js";

/** Far below the time a real wait would take, far above a refusal's few milliseconds. */
const FAIL_FAST_MS = 5000;

/** How long sshd may take to notice a dead connection and end its session. */
const RELEASE_DEADLINE_MS = 10_000;

const HOLDER_SCRIPT = fileURLToPath(new URL("lock-holder.ts", import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

let sshd: TestSshd;
let knownHostsFile: string;
const opened: SshTransport[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  knownHostsFile = join(sshd.dir, "known_hosts");
  await writeFile(knownHostsFile, `${sshd.knownHostsLine}\n`);
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await sshd?.stop();
});

function sshOptions(): SshTransportOptions {
  return { host: "node1", address: "127.0.0.1", port: sshd.port, user: "root", identityFile: sshd.identityFile, knownHostsFile };
}

/** A controller of its own: a new transport, so a new SSH connection to the test sshd. */
function controller(): SshTransport {
  const t = new SshTransport(sshOptions());
  opened.push(t);
  return t;
}

/** A lock file of the test's own in the sshd's scratch directory, instead of /run. */
function lockPath(name: string): string {
  return join(sshd.dir, `${name}.lock`);
}

function lock(transport: SshTransport, holder: string, path: string): Promise<ClusterLock> {
  return acquireClusterLock(new Map([["node1", transport]]), holder, { path });
}

async function lockedError(action: Promise<unknown>): Promise<LockedError> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockedError);
  return error as LockedError;
}

/** Takes the lock as soon as the node has let go of it, polling until RELEASE_DEADLINE_MS. */
function lockOnceFree(transport: SshTransport, holder: string, path: string): Promise<ClusterLock> {
  return vi.waitFor(() => lock(transport, holder, path), { timeout: RELEASE_DEADLINE_MS, interval: 25 });
}

describe("cluster lock over SSH", () => {
  it("refuses a second apply at once, naming the holder, and is free again after release", async () => {
    // GIVEN one controller holding the lock
    const path = lockPath("refuse");
    const first = await lock(controller(), "alice@ctl1 pid 1 since 2024-05-01T10:00:00.000Z", path);
    // WHEN a second controller asks
    const second = controller();
    const started = Date.now();
    const error = await lockedError(lock(second, "bob@ctl2 pid 2 since 2024-05-01T10:05:00.000Z", path));
    // THEN it is refused within moments, with who holds the lock
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
    expect(error.message).toBe("another gfsdeploy apply holds the cluster lock on node1: alice@ctl1 pid 1 since 2024-05-01T10:00:00.000Z");
    expect(error.hint).toContain("a crashed apply's lock goes away with its SSH session");
    // AND once the first releases, the second gets it, at the first try
    await first.release();
    const taken = await lock(second, "bob@ctl2 pid 2 since 2024-05-01T10:05:00.000Z", path);
    await lockedError(lock(controller(), "carol", path));
    await taken.release();
  });

  it("is free again, with no manual step, after the apply holding it was killed", async () => {
    // GIVEN another controller process holding the lock
    const path = lockPath("killed");
    const local = new LocalTransport("controller");
    const crashing = await local.hold(process.execPath, ["--import", TSX_LOADER, HOLDER_SCRIPT, JSON.stringify(sshOptions()), path], {
      readyPattern: /^LOCKED pid \d+$/m,
      timeoutMs: 30_000,
    });
    expect(crashing.output).toMatch(/^LOCKED pid \d+$/m);
    const pid = Number(/^LOCKED pid (\d+)$/m.exec(crashing.output)?.[1]);
    try {
      const survivor = controller();
      expect((await lockedError(lock(survivor, "survivor", path))).message).toContain(`lock-holder pid ${pid}`);
      // WHEN that process dies without releasing anything, as on a crash or kill -9
      process.kill(pid, "SIGKILL");
      await crashing.release();
      // THEN the lock becomes free by itself once sshd sees the connection gone
      const taken = await lockOnceFree(survivor, "survivor", path);
      await taken.release();
    } finally {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("is free again after the node drops the connection", async () => {
    // GIVEN a controller holding the lock, and the sshd process serving its connection
    const path = lockPath("dropped");
    const holder = controller();
    const held = await lock(holder, "dropped", path);
    const sessionPid = Number((await holder.exec("sh", ["-c", "echo $PPID"])).stdout);
    // WHEN that sshd process dies, as when the network or the node drops the session
    process.kill(sessionPid, "SIGKILL");
    // THEN the lock is free for another controller, and the holder's release still returns
    const taken = await lockOnceFree(controller(), "next", path);
    await held.release();
    await taken.release();
  });

  it("is free again once the holding transport is closed without releasing", async () => {
    const path = lockPath("closed");
    const holder = controller();
    await lock(holder, "closed", path);
    await holder.close();
    const taken = await lockOnceFree(controller(), "next", path);
    await taken.release();
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
