/**
 * The transport to a cluster node: one SSH connection per node for the whole run, opened on
 * first use and shared by every call. The server must prove itself with a key recorded in an
 * OpenSSH known_hosts file; commands run through the login shell as one quoted line.
 */

import { appendFile, readFile } from "node:fs/promises";
import { PassThrough, Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { NodeSSH, type SSHExecCommandOptions, type SSHExecCommandResponse } from "node-ssh";
import { ConnectionError, InternalError } from "../errors.js";
import { exitCodeForSignal, TIMED_OUT_EXIT_CODE } from "./exit-status.js";
import { type BatchCommand, batchVia } from "./batch.js";
import { type Argv, type RawExecResult, readFileVia, writeFileVia } from "./file-commands.js";
import { holdCommand } from "./held.js";
import {
  fingerprint,
  type HostKeyVerdict,
  judgeHostKey,
  type KnownHostKey,
  keyTypeOf,
  knownHostsLine,
  knownHostsName,
  knownKeysFor,
  parseKnownHosts,
} from "./known-hosts.js";
import { quoteArg, quoteCommand } from "./quote.js";
import type { ExecOptions, ExecResult, HeldCommand, HoldOptions, Transport, WriteOptions } from "./types.js";

export interface SshTransportOptions {
  /** The node name, used in every message about this host. */
  host: string;
  /** Where to connect: an IP address or a resolvable name. */
  address: string;
  port: number;
  user: string;
  /** Private key to log in with (OpenSSH or PEM format, without passphrase). */
  identityFile: string;
  /** OpenSSH known_hosts file the server's host key must be recorded in. */
  knownHostsFile: string;
  /**
   * Record a host key seen for the first time in knownHostsFile instead of refusing it.
   * A key that differs from the recorded one is refused regardless. Default false.
   */
  acceptNewHostKeys?: boolean;
  /** Give up when TCP connect, key exchange and login together take longer. Default 15000. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/** sshd refuses channels beyond MaxSessions (default 10) per connection; later calls queue. */
const MAX_OPEN_CHANNELS = 8;

/** How long to keep asking a node that refuses every session while we have none open. */
const SESSION_REFUSED_TIMEOUT_MS = 10_000;

/** How long a command may ignore SIGTERM after its timeout before timeout(1) sends SIGKILL. */
const KILL_AFTER_SECONDS = 5;

/** A node that stops answering is given up after KEEPALIVE_COUNT_MAX unanswered probes. */
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;

/** Host key algorithms ssh2 can verify, for each key type a known_hosts line can record. */
const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  // One RSA key serves three signature algorithms; current servers refuse SHA-1 `ssh-rsa`.
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SshTransport implements Transport {
  readonly host: string;
  private connection: Promise<NodeSSH> | undefined;
  /** Why an established connection went away; every later call reports it. */
  private lostBecause: Error | undefined;
  private closed = false;
  private readonly channels = new ConcurrencyLimit(MAX_OPEN_CHANNELS);
  private readonly sessions = new OpenSessions();

  constructor(private readonly options: SshTransportOptions) {
    this.host = options.host;
  }

  /**
   * Runs `command` through the remote login shell. `env` is set with env(1) because sshd
   * drops variables its AcceptEnv does not list; the shell sees those values in its command
   * line, so secrets belong on stdin. `timeoutMs` runs the command under timeout(1), which
   * kills it on the node itself, and yields exit status 124.
   */
  async exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    const result = await this.run(remoteArgv([command, ...args], options), options.stdin);
    const timedOut =
      options.timeoutMs !== undefined && result.code === TIMED_OUT_EXIT_CODE && Date.now() - started >= options.timeoutMs;
    const stderr = timedOut ? `${result.stderr}${command}: timed out after ${options.timeoutMs} ms\n` : result.stderr;
    return { code: result.code, stdout: result.stdout.toString(), stderr };
  }

  batch(commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
    return batchVia(async (argv, input) => {
      const r = await this.run(argv, input);
      return { ...r, stdout: r.stdout.toString() };
    }, this.host, commands, stdin);
  }

  readFile(path: string): Promise<Buffer | undefined> {
    return readFileVia((argv) => this.run(argv), this.host, path);
  }

  writeFile(path: string, body: string | Buffer, options?: WriteOptions): Promise<void> {
    return writeFileVia((argv, stdin) => this.run(argv, stdin), this.host, path, body, options);
  }

  /**
   * Runs the command in a channel of its own on the shared connection, feeding its stdin from
   * a stream that stays open until release(). sshd leaves a command running when its channel
   * is closed, and OpenSSH 9 ignored our signal requests, so closing stdin is the way to end
   * it. When the connection dies, sshd closes that stdin itself.
   */
  async hold(command: string, args: readonly string[], options: HoldOptions): Promise<HeldCommand> {
    const ssh = await this.connect();
    const argv: Argv = [command, ...args];
    return holdCommand(command, options, (output) => {
      const stdin = new PassThrough();
      const exited = this.channels.use(async () => {
        const lost = this.lostReason();
        if (lost !== undefined) throw this.lostError(lost);
        const response = await this.execInSession(
          ssh,
          argv,
          () => ({ stdin, noTrim: true, onStdout: output.stdout, onStderr: output.stderr }),
          "held",
        );
        return this.exitCodeOf(response, argv);
      });
      return { endStdin: () => stdin.end(), exited };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    // A connection that never came up was already reported to the call that needed it.
    const ssh = await connection?.catch(() => undefined);
    ssh?.dispose();
  }

  private get where(): string {
    return `${this.host} (${this.options.address}:${this.options.port})`;
  }

  private async run(argv: Argv, stdin?: string | Buffer): Promise<RawExecResult> {
    const ssh = await this.connect();
    return this.channels.use(async () => {
      const lost = this.lostReason();
      if (lost !== undefined) throw this.lostError(lost);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const response = await this.execInSession(ssh, argv, () => ({
        stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]),
        noTrim: true,
        onStdout: (chunk) => stdout.push(chunk),
        onStderr: (chunk) => stderr.push(chunk),
      }));
      return { code: this.exitCodeOf(response, argv), stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString() };
    });
  }

  private exitCodeOf(response: SSHExecCommandResponse, argv: Argv): number {
    if (response.code !== null) return response.code;
    if (response.signal !== null) return exitCodeForSignal(response.signal);
    // The channel closed without an exit status: the connection went away under the command.
    throw this.lostError(this.lostReason() ?? `no exit status for \`${argv[0]}\``);
  }

  /**
   * Opens a session channel and runs argv in it. sshd refuses sessions beyond MaxSessions and
   * frees a slot only once our close of an earlier session has reached it, so a refusal is
   * retried: when another of our sessions closes, or with backoff while none is open.
   * Nothing ran when a channel was refused, so retrying is safe. A held session is left out
   * of that count, since waiting for it to close could mean waiting for the whole run.
   */
  private async execInSession(
    ssh: NodeSSH,
    argv: Argv,
    options: () => SSHExecCommandOptions,
    lifetime: "brief" | "held" = "brief",
  ): Promise<SSHExecCommandResponse> {
    const sessions = lifetime === "brief" ? this.sessions : undefined;
    let backoffMs = 10;
    let deadline: number | undefined;
    for (;;) {
      let opened = false;
      try {
        return await ssh.execCommand(quoteCommand(argv), {
          ...options(),
          onChannel: () => {
            opened = true;
            sessions?.opened();
          },
        });
      } catch (error) {
        const lost = this.lostReason();
        if (lost !== undefined) throw this.lostError(lost);
        // ssh2 sets a numeric reason only on the server's CHANNEL_OPEN_FAILURE.
        if (typeof (error as { reason?: unknown }).reason !== "number") throw this.lostError(messageOf(error));
        if (this.sessions.anyOpen) {
          deadline = undefined;
          await this.sessions.nextClose();
          continue;
        }
        deadline ??= Date.now() + SESSION_REFUSED_TIMEOUT_MS;
        if (Date.now() > deadline) {
          throw new ConnectionError(
            `${this.where}: the node refuses to open an SSH session: ${messageOf(error)}`,
            "check MaxSessions in the node's sshd_config: gfsdeploy needs at least 2, one of them for the cluster lock",
          );
        }
        await delay(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 500);
      } finally {
        if (opened) sessions?.closed();
      }
    }
  }

  private connect(): Promise<NodeSSH> {
    if (this.closed) {
      throw new InternalError(`the transport to ${this.host} was used after close()`, "report this as a bug");
    }
    // A failed attempt is kept too: later calls report the same cause at once instead of
    // waiting out another timeout.
    this.connection ??= this.open();
    return this.connection;
  }

  private async open(): Promise<NodeSSH> {
    const { address, port, user } = this.options;
    const knownHostsText = await this.readKnownHosts();
    const keys = parseKnownHosts(knownHostsText);
    const name = knownHostsName(address, port);
    const privateKey = await this.readIdentity();
    const algorithms = [...new Set(knownKeysFor(keys, name).flatMap((k) => ALGORITHMS_BY_KEY_TYPE[k.keyType] ?? []))];
    let verdict: HostKeyVerdict | undefined;
    let presented: Buffer = Buffer.alloc(0);
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: address,
        port,
        username: user,
        privateKey,
        readyTimeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        keepaliveInterval: KEEPALIVE_INTERVAL_MS,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        // For a known host, only its recorded key types are negotiated; otherwise the server
        // could present a key of another type that would look like a changed key.
        ...(algorithms.length > 0 ? { algorithms: { serverHostKey: algorithms } } : {}),
        // ssh2 hands over the raw key blob from the key exchange, the same bytes known_hosts
        // stores in base64. It checks the server's signature (proof that the server holds
        // the private key) only after this returns, which is why a new key is recorded once
        // the connection is up rather than here.
        hostVerifier: (key: Buffer): boolean => {
          presented = key;
          verdict = judgeHostKey(keys, name, key);
          return verdict.status === "known" || (verdict.status === "unknown" && this.options.acceptNewHostKeys === true);
        },
      });
    } catch (error) {
      ssh.dispose();
      throw this.connectError(error, verdict, presented, knownKeysFor(keys, name));
    }
    // A run is hundreds of small request/reply exchanges; with Nagle's algorithm each can
    // stall ~40 ms waiting on the peer's delayed ACK.
    clientOf(ssh)?.setNoDelay(true);
    this.watchForLoss(ssh);
    if (verdict?.status === "unknown") await this.recordHostKey(ssh, knownHostsText, knownHostsLine(name, presented));
    return ssh;
  }

  private async readKnownHosts(): Promise<string> {
    const { knownHostsFile } = this.options;
    try {
      return await readFile(knownHostsFile, "utf8");
    } catch (error) {
      // A missing file knows no hosts yet: every key is unknown, as for ssh(1).
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw new ConnectionError(
        `${this.where}: cannot read the known hosts file ${knownHostsFile}: ${messageOf(error)}`,
        `make ${knownHostsFile} readable, or point the spec at another known_hosts file`,
      );
    }
  }

  private async readIdentity(): Promise<string> {
    const { identityFile, user, address, port } = this.options;
    try {
      return await readFile(identityFile, "utf8");
    } catch (error) {
      throw new ConnectionError(
        `${this.where}: cannot read the identity file ${identityFile}: ${messageOf(error)}`,
        `create a key with \`ssh-keygen -t ed25519 -N '' -f ${quoteArg(identityFile)}\` and install it with \`ssh-copy-id -i ${quoteArg(identityFile)} -p ${port} ${user}@${address}\``,
      );
    }
  }

  private watchForLoss(ssh: NodeSSH): void {
    // Without an 'error' listener, a connection dropping between calls would crash the process.
    const client = clientOf(ssh);
    client?.on("error", (error: Error) => {
      this.lostBecause ??= error;
    });
    client?.on("close", () => {
      this.lostBecause ??= new Error("the connection was closed");
    });
  }

  private async recordHostKey(ssh: NodeSSH, knownHostsText: string, line: string): Promise<void> {
    const { knownHostsFile } = this.options;
    const separator = knownHostsText === "" || knownHostsText.endsWith("\n") ? "" : "\n";
    try {
      await appendFile(knownHostsFile, `${separator}${line}\n`);
    } catch (error) {
      ssh.dispose();
      throw new ConnectionError(
        `${this.where}: cannot record its new host key in ${knownHostsFile}: ${messageOf(error)}`,
        `make ${knownHostsFile} writable, or add the key yourself: \`ssh-keyscan -p ${this.options.port} ${this.options.address} >> ${quoteArg(knownHostsFile)}\``,
      );
    }
  }

  private connectError(
    error: unknown,
    verdict: HostKeyVerdict | undefined,
    presented: Buffer,
    known: readonly KnownHostKey[],
  ): ConnectionError {
    const { address, port, knownHostsFile } = this.options;
    const name = knownHostsName(address, port);
    const presentedKey = `${keyTypeOf(presented)} ${fingerprint(presented)}`;
    const recorded = known.map((k) => `${k.keyType} ${fingerprint(k.key)} (line ${k.line})`).join(", ");
    const addKey = `\`ssh-keyscan -p ${port} ${address} >> ${quoteArg(knownHostsFile)}\``;
    const changed = (what: string): ConnectionError =>
      new ConnectionError(
        `${this.where}: THE HOST KEY HAS CHANGED. ${what} ` +
          "Someone may be intercepting the connection (man in the middle), or the node was reinstalled and has new host keys. " +
          "Refusing to connect, with or without --accept-new-host-keys.",
        "if the node was reinstalled, compare the new fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on its console, " +
          `remove the old entry with \`ssh-keygen -R ${quoteArg(name)} -f ${quoteArg(knownHostsFile)}\`, then add the new key with ${addKey}`,
      );

    switch (verdict?.status) {
      case "unknown":
        return new ConnectionError(
          `${this.where}: the host key is unknown: ${knownHostsFile} has no entry for ${name}; the node presented ${presentedKey}`,
          `check that fingerprint on the node (\`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\`), then add it with ${addKey}, ` +
            "or pass --accept-new-host-keys to record it on first contact",
        );
      case "changed":
        return changed(`The node presented ${presentedKey}, but ${knownHostsFile} records ${recorded} for ${name}.`);
      case "revoked":
        return new ConnectionError(
          `${this.where}: the node presented a REVOKED host key, ${presentedKey} (@revoked in ${knownHostsFile} line ${verdict.entry.line}). Refusing to connect.`,
          "a key is revoked because it leaked or was retired: give the node new host keys, then record them in known_hosts",
        );
      case "known":
      case undefined:
        break;
    }
    // Only the recorded key types were offered (see open); a node with none of them fails the
    // key exchange before presenting any key, which is a changed key too.
    if (verdict === undefined && known.length > 0 && (error as { level?: unknown }).level === "handshake") {
      return changed(`${knownHostsFile} records ${recorded} for ${name}, but the node offers none of those key types (${messageOf(error)}).`);
    }
    const [cause, hint] = this.connectFailure(error);
    return new ConnectionError(`${this.where}: cannot connect: ${cause}`, hint);
  }

  /** What went wrong connecting, and how to fix it. */
  private connectFailure(error: unknown): [cause: string, hint: string] {
    const { address, port, user, identityFile } = this.options;
    const { code, level } = error as { code?: unknown; level?: unknown };
    const unreachable = `check that ${address} is the node's address, that the node is up and that no firewall drops port ${port}`;
    if (code === "ECONNREFUSED") {
      return ["connection refused", `check that sshd runs on ${this.host} and listens on ${address} port ${port}`];
    }
    if (code === "ETIMEDOUT" || level === "client-timeout") {
      const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      return [`no answer within ${timeoutMs} ms`, `${unreachable}; raise connectTimeoutMs if the network is slow`];
    }
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return [`no route to ${address}`, unreachable];
    if (level === "client-dns") return [`cannot resolve ${address}`, "check the node's address in the spec"];
    if (level === "client-authentication") {
      return [
        `logging in as ${user} with ${identityFile} was refused`,
        `install the public key on the node: \`ssh-copy-id -i ${quoteArg(identityFile)} -p ${port} ${user}@${address}\``,
      ];
    }
    return [messageOf(error), `check that \`ssh -p ${port} -i ${quoteArg(identityFile)} ${user}@${address}\` works from this machine`];
  }

  private lostReason(): string | undefined {
    return this.lostBecause?.message;
  }

  private lostError(reason: string): ConnectionError {
    return new ConnectionError(
      `${this.where}: the connection was lost: ${reason}`,
      "the node may have rebooted or the network failed; check the node, then run again",
    );
  }
}

/** The argv that runs `argv` remotely with the options' environment and time limit. */
function remoteArgv(argv: Argv, options: ExecOptions): Argv {
  const assignments = Object.entries(options.env ?? {}).map(([name, value]) => {
    if (!ENV_NAME.test(name)) {
      throw new InternalError(`${JSON.stringify(name)} is not an environment variable name`, "report this as a bug");
    }
    return `${name}=${value}`;
  });
  const withEnv: Argv = assignments.length === 0 ? argv : ["env", ...assignments, ...argv];
  if (options.timeoutMs === undefined) return withEnv;
  return ["timeout", "-k", `${KILL_AFTER_SECONDS}`, `${options.timeoutMs / 1000}`, ...withEnv];
}

/**
 * The parts of ssh2's Client used here. node-ssh types its `connection` with @types/ssh2,
 * which is not installed, so the type would not resolve.
 */
interface Ssh2Client {
  setNoDelay(noDelay: boolean): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "close", listener: () => void): void;
}

function clientOf(ssh: NodeSSH): Ssh2Client | null {
  return ssh.connection as Ssh2Client | null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs at most `size` tasks at once; the others wait their turn. */
class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async use<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Our open session channels, so a refused open can wait for one of them to close. */
class OpenSessions {
  private count = 0;
  private closeListeners: (() => void)[] = [];

  get anyOpen(): boolean {
    return this.count > 0;
  }

  opened(): void {
    this.count++;
  }

  closed(): void {
    this.count--;
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const notify of listeners) notify();
  }

  nextClose(): Promise<void> {
    return new Promise((resolve) => this.closeListeners.push(resolve));
  }
}
