/**
 * ssh into a test-bed VM with the test bed's own key, checking the guest's host key
 * against the cache's known_hosts (both VMs share the host key baked into the image).
 */

import { LOOPBACK, NODES } from "./nodes.js";

export interface SshTarget {
  port: number;
  clientKey: string;
  knownHosts: string;
}

export interface SshOptions {
  /** Words joined with spaces and run by the remote shell, as ssh does; none = login shell. */
  command?: readonly string[];
  connectTimeoutSec?: number;
}

export function sshArgsFor(target: SshTarget, options: SshOptions = {}): string[] {
  const { command = [], connectTimeoutSec = 10 } = options;
  return [
    "-i", target.clientKey,
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile="${target.knownHosts}"`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "UpdateHostKeys=no",
    // Fail instead of prompting for a password when the key is refused.
    "-o", "BatchMode=yes",
    "-o", "LogLevel=ERROR",
    "-o", `ConnectTimeout=${connectTimeoutSec}`,
    // A guest reset under an open session leaves it waiting forever on QEMU's user-mode
    // network: give up on a silent server after 15 s instead.
    "-o", "ServerAliveInterval=5",
    "-o", "ServerAliveCountMax=3",
    "-p", String(target.port),
    `root@${LOOPBACK}`,
    ...(command.length > 0 ? [command.join(" ")] : []),
  ];
}

/** known_hosts lines for both forwarded ports, from the image's `ssh_host_ed25519_key.pub`. */
export function knownHostsContent(hostPublicKey: string): string {
  const [type, key] = hostPublicKey.trim().split(/\s+/);
  return NODES.map((node) => `[${LOOPBACK}]:${node.sshPort} ${type} ${key}\n`).join("");
}
