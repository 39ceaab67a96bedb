/**
 * A Transport for unit tests of step logic: files live in memory, commands get scripted
 * replies, and every call is recorded in order, so a test can assert what a step did (and
 * that a check changed nothing) without any host.
 */

import { InternalError } from "../errors.js";
import { NOT_FOUND_EXIT_CODE } from "./exit-status.js";
import { quoteCommand } from "./quote.js";
import type { ExecOptions, ExecResult, Transport, WriteOptions } from "./types.js";

export interface FakeFile {
  body: Buffer;
  mode: number;
  owner: string;
  group: string;
}

export interface FakeExecCall {
  kind: "exec";
  command: string;
  args: readonly string[];
  options: ExecOptions;
}

export type FakeCall =
  | FakeExecCall
  | { kind: "readFile"; path: string }
  | { kind: "writeFile"; path: string; body: Buffer; options: WriteOptions };

/** A fixed result, or one computed from the call (and the fake's files, to simulate state). */
export type FakeReply = ExecResult | ((call: FakeExecCall, fake: FakeTransport) => ExecResult | Promise<ExecResult>);

/** The exact argv (command first), or a predicate over the command and its arguments. */
export type FakeMatcher = readonly string[] | ((command: string, args: readonly string[]) => boolean);

/** A successful result printing `stdout`. */
export function ok(stdout = ""): ExecResult {
  return { code: 0, stdout, stderr: "" };
}

/** A result with exit status `code`. */
export function exitWith(code: number, stderr = "", stdout = ""): ExecResult {
  return { code, stdout, stderr };
}

export class FakeTransport implements Transport {
  /** Every exec, readFile and writeFile, in the order they were made. */
  readonly calls: FakeCall[] = [];
  readonly files = new Map<string, FakeFile>();
  private readonly replies: { matches: (argv: readonly string[]) => boolean; reply: FakeReply }[] = [];
  private closed = false;

  constructor(readonly host = "fake") {}

  /**
   * Scripts the reply to commands that `match`. The latest matching registration wins, so a
   * test can change what a command answers between a step's check and its apply.
   */
  on(match: FakeMatcher, reply: FakeReply): this {
    const matches =
      typeof match === "function"
        ? (argv: readonly string[]) => match(argv[0] ?? "", argv.slice(1))
        : (argv: readonly string[]) => argv.length === match.length && argv.every((word, i) => word === match[i]);
    this.replies.unshift({ matches, reply });
    return this;
  }

  /** Puts a file in place as the host's state before the test; not recorded as a call. */
  setFile(path: string, body: string | Buffer, attributes: Partial<Omit<FakeFile, "body">> = {}): this {
    const owner = attributes.owner ?? "root";
    this.files.set(path, {
      body: Buffer.from(body),
      mode: attributes.mode ?? 0o644,
      owner,
      group: attributes.group ?? owner,
    });
    return this;
  }

  /** A file's body as UTF-8 text, or undefined when there is no such file. */
  fileText(path: string): string | undefined {
    return this.files.get(path)?.body.toString();
  }

  /** Every exec so far as the shell line it stands for, for compact assertions. */
  commandLines(): string[] {
    return this.calls.flatMap((call) => (call.kind === "exec" ? [quoteCommand([call.command, ...call.args])] : []));
  }

  async exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    const call: FakeExecCall = { kind: "exec", command, args: [...args], options: { ...options } };
    this.calls.push(call);
    const argv = [command, ...args];
    const scripted = this.replies.find((r) => r.matches(argv));
    if (scripted === undefined) {
      // Loud on purpose: a step running a command its test did not expect must not pass quietly.
      return exitWith(NOT_FOUND_EXIT_CODE, `fake: no reply scripted for ${quoteCommand(argv)}\n`);
    }
    const result = typeof scripted.reply === "function" ? await scripted.reply(call, this) : scripted.reply;
    return { ...result };
  }

  readFile(path: string): Promise<Buffer | undefined> {
    return settled(() => {
      this.assertOpen();
      this.calls.push({ kind: "readFile", path });
      const file = this.files.get(path);
      // A copy, so a caller changing the bytes cannot change the "host".
      return file === undefined ? undefined : Buffer.from(file.body);
    });
  }

  writeFile(path: string, body: string | Buffer, options: WriteOptions = {}): Promise<void> {
    return settled(() => {
      this.assertOpen();
      this.calls.push({ kind: "writeFile", path, body: Buffer.from(body), options: { ...options } });
      this.setFile(path, body, options);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new InternalError(`the transport to ${this.host} was used after close()`, "report this as a bug");
    }
  }
}

/** Runs `action` now and delivers its result or its exception as a promise, as the real transports do. */
function settled<T>(action: () => T): Promise<T> {
  return new Promise((resolve) => resolve(action()));
}
