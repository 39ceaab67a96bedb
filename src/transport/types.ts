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
}

export interface WriteOptions {
  /** Octal file mode, e.g. 0o644 (default) or 0o400 for keys. */
  mode?: number;
  /** Owner user, default root. */
  owner?: string;
  /** Owner group, default the owner's. */
  group?: string;
}

export interface Transport {
  /** The node name this transport talks to (used in every message about it). */
  readonly host: string;
  exec(command: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  /** Atomic: written to a temporary file in the same directory, then renamed over the target. */
  writeFile(path: string, body: string | Buffer, options?: WriteOptions): Promise<void>;
  close(): Promise<void>;
}
