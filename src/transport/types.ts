/**
 * The only door to a host. Callers pass a command and its arguments separately; each
 * implementation quotes them for its medium, so no caller ever concatenates a shell line.
 */

export interface ExecOptions {
  /** Fed to the command's standard input: the way secrets travel, never as arguments. */
  stdin?: string | Buffer;
  /** Kill the command after this long (ms). Default: no limit. */
  timeoutMs?: number;
  /** Extra environment for the remote command. */
  env?: Readonly<Record<string, string>>;
}

/** A non-zero exit is data, not an exception: callers decide what it means. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** How long the command ran on the node, where a batch measured it (read_batch.py does). */
  ms?: number;
}

export interface WriteOptions {
  /** Octal file mode, e.g. 0o644 (default) or 0o400 for keys. */
  mode?: number;
  /** Owner user, default root. */
  owner?: string;
  /** Owner group, default the owner's. */
  group?: string;
}

export interface HoldOptions {
  /** The command counts as ready once its standard output so far matches this. */
  readyPattern: RegExp;
  /**
   * Stop waiting for readiness after this long (ms): the command's stdin is closed and hold()
   * resolves not ready with exit status 124. Default: no limit.
   */
  timeoutMs?: number;
}

/**
 * A command started by hold(). Ready: it printed what was asked for and keeps running until
 * release(). Not ready: it ended first (or ran out of time), and `code` says how.
 */
export type HeldCommand =
  | {
      ready: true;
      /** Standard output so far, as it was when it first matched readyPattern. */
      output: string;
      /** Closes the command's stdin and resolves once it has ended; calling it again is harmless. */
      release(): Promise<void>;
    }
  | {
      ready: false;
      code: number;
      /** Everything the command printed, standard output then standard error. */
      output: string;
      /** Resolves at once: the command has ended, or after a time-out had its stdin closed. */
      release(): Promise<void>;
    };

import type { BatchCommand } from "./batch.js";

export interface Transport {
  /** The node name this transport talks to (used in every message about it). */
  readonly host: string;
  exec(command: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Read-only commands and file reads in one remote execution, in parallel on the node; one
   * result each, in order (a missing file's read exits 3). `stdin` goes to the one command
   * marked for it.
   */
  batch(commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]>;
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Atomic: written to a temporary file in the same directory, then renamed over the target. */
  writeFile(path: string, body: string | Buffer, options?: WriteOptions): Promise<void>;
  /**
   * Starts a command whose stdin stays open, for something that must last exactly as long as
   * this transport's hold on the host, such as a lock: the command must end when its stdin
   * closes, which is what release() does, and what happens by itself when the connection dies.
   */
  hold(command: string, args: readonly string[], options: HoldOptions): Promise<HeldCommand>;
  close(): Promise<void>;
}
