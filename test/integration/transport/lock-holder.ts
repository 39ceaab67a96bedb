/**
 * Another controller, as a process of its own, for the test that kills an apply holding the
 * cluster lock: it takes the lock on the test sshd, prints `LOCKED pid N`, and holds the lock
 * until it is killed; its open SSH connection keeps it alive meanwhile.
 *
 * Usage: node --import tsx lock-holder.ts SSH_TRANSPORT_OPTIONS_JSON LOCK_PATH
 */

import { acquireClusterLock } from "../../../src/run/lock.js";
import { SshTransport, type SshTransportOptions } from "../../../src/transport/ssh.js";

const [optionsJson, path] = process.argv.slice(2);
if (optionsJson === undefined || path === undefined) throw new Error("usage: lock-holder.ts SSH_TRANSPORT_OPTIONS_JSON LOCK_PATH");
const transport = new SshTransport(JSON.parse(optionsJson) as SshTransportOptions);
await acquireClusterLock(new Map([[transport.host, transport]]), `lock-holder pid ${process.pid}`, { path });
process.stdout.write(`LOCKED pid ${process.pid}\n`);
