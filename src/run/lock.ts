/**
 * The cluster lock: one apply at a time. On every node a small shell process takes an flock
 * on a file under /run and then waits on its stdin, which is our SSH channel. The lock thus
 * lives exactly as long as our connection: when an apply crashes or is interrupted, sshd
 * closes that stdin, the process exits, the kernel drops the flock, and a re-run needs no
 * manual step. /run is a tmpfs, so a reboot clears it too.
 */

import { hostname, userInfo } from "node:os";
import { LockedError } from "../errors.js";
import { commandFailure } from "../transport/errors.js";
import type { HeldCommand, Transport } from "../transport/types.js";

export const DEFAULT_LOCK_PATH = "/run/gfsdeploy.lock";

export interface ClusterLockOptions {
  /** The lock file on every node; who holds it is recorded beside it in PATH.holder. Default /run/gfsdeploy.lock. */
  path?: string;
}

export interface ClusterLock {
  /** Releases the lock on every node; calling it again is harmless. */
  release(): Promise<void>;
}

/** EX_TEMPFAIL from sysexits.h: someone else holds the lock, try again later. */
const HELD_EXIT_CODE = 75;

/** Taking the lock never waits for another holder (flock -n), so only a sick node is slower. */
const LOCK_TIMEOUT_MS = 30_000;

/**
 * $1 is the lock file, $2 the holder text. fd 9 is opened for appending, so the file is
 * created when missing but never truncated under someone else's lock; sh exits when it cannot
 * open it. `exec cat` keeps fd 9, and with it the lock, until stdin closes. flock -n exits 1
 * when another process holds the lock; any other failure (flock missing: 127) is passed on
 * as it is, so it is not mistaken for a held lock.
 */
const LOCK_SCRIPT = [
  'exec 9>>"$1"',
  "flock -n 9",
  "status=$?",
  'case "$status" in',
  '  0) printf "%s\\n" "$2" > "$1.holder"',
  "     echo LOCKED",
  "     exec cat > /dev/null ;;",
  '  1) echo "HELD BY $(cat -- "$1.holder" 2>/dev/null)"',
  `     exit ${HELD_EXIT_CODE} ;;`,
  '  *) exit "$status" ;;',
  "esac",
].join("\n");

const READY = /^LOCKED$/m;
const HELD_BY = /^HELD BY (.*)$/m;

/**
 * Takes the lock on every node, or on none: when a node refuses, the nodes already locked are
 * released and a LockedError names the node and who holds it there. Nodes are locked in
 * order of their names, so two controllers racing for the same cluster both try the same
 * node first and one of them gets all of it, instead of each getting half.
 *
 * @param transports the cluster's nodes by name
 * @param holder who is asking, as lockHolderText() describes the current process
 */
export async function acquireClusterLock(
  transports: ReadonlyMap<string, Transport>,
  holder: string,
  options: ClusterLockOptions = {},
): Promise<ClusterLock> {
  const path = options.path ?? DEFAULT_LOCK_PATH;
  const held: HeldCommand[] = [];
  const release = async (): Promise<void> => {
    await Promise.all(held.map((command) => command.release()));
  };
  try {
    for (const [node, transport] of [...transports].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      held.push(await lockNode(node, transport, holder, path));
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

async function lockNode(node: string, transport: Transport, holder: string, path: string): Promise<HeldCommand> {
  const command = await transport.hold("sh", ["-c", LOCK_SCRIPT, "gfsdeploy-lock", path, holder], {
    readyPattern: READY,
    timeoutMs: LOCK_TIMEOUT_MS,
  });
  if (command.ready) return command;
  const heldBy = HELD_BY.exec(command.output)?.[1];
  if (command.code === HELD_EXIT_CODE && heldBy !== undefined) {
    throw new LockedError(
      // Empty when the other apply has taken the lock but not yet written its name.
      `another gfsdeploy apply holds the cluster lock on ${node}: ${heldBy || "(holder not recorded yet)"}`,
      "wait for it to finish; a crashed apply's lock goes away with its SSH session",
    );
  }
  throw commandFailure(node, `take the cluster lock ${path}`, { code: command.code, stderr: command.output });
}

/** Who holds the lock, for the message another apply prints: `user@host pid N since ISO-time`. */
export function lockHolderText(): string {
  return `${userName()}@${hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry, as in some containers, has no name to show.
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}
