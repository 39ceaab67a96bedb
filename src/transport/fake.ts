/**
 * A Transport for unit tests of step logic: files live in memory, commands get scripted
 * replies, and every call is recorded in order, so a test can assert what a step did (and
 * that a check changed nothing) without any host.
 */

import { InternalError } from "../errors.js";
import { batchArgv, type BatchCommand } from "./batch.js";
import { NOT_FOUND_EXIT_CODE } from "./exit-status.js";
import { quoteCommand } from "./quote.js";
import type { ExecOptions, ExecResult, HeldCommand, HoldOptions, Transport, WriteOptions } from "./types.js";

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

export interface FakeHoldCall {
  kind: "hold";
  command: string;
  args: readonly string[];
  options: HoldOptions;
}

export type FakeCall =
  | FakeExecCall
  | FakeHoldCall
  /** The release() of a command that hold() reported ready. */
  | { kind: "release"; command: string; args: readonly string[] }
  | { kind: "readFile"; path: string }
  /** A batch's start; its commands follow as calls of their own. */
  | { kind: "batch"; commands: number }
  | { kind: "writeFile"; path: string; body: Buffer; options: WriteOptions };

/** A fixed result, or one computed from the call (and the fake's files, to simulate state). */
export type FakeReply = ExecResult | ((call: FakeExecCall, fake: FakeTransport) => ExecResult | Promise<ExecResult>);

/** How a held command answers: ready with its output so far, or ended first. */
export type FakeHoldResult = { ready: true; output: string } | { ready: false; code: number; output: string };

/** A fixed answer to hold(), or one computed from the call and the fake. */
export type FakeHoldReply =
  | FakeHoldResult
  | ((call: FakeHoldCall, fake: FakeTransport) => FakeHoldResult | Promise<FakeHoldResult>);

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

/** A held command that became ready after printing `output`. */
export function readyAfter(output: string): FakeHoldResult {
  return { ready: true, output };
}

/** A held command that ended with `code` before it was ready, having printed `output`. */
export function endedWith(code: number, output = ""): FakeHoldResult {
  return { ready: false, code, output };
}

export class FakeTransport implements Transport {
  /** Every exec, readFile and writeFile, in the order they were made. */
  readonly calls: FakeCall[] = [];
  readonly files = new Map<string, FakeFile>();
  private readonly replies: { matches: ArgvMatcher; reply: FakeReply }[] = [];
  private readonly holdReplies: { matches: ArgvMatcher; reply: FakeHoldReply }[] = [];
  private readonly running = new Set<FakeHoldCall>();
  private closed = false;

  constructor(readonly host = "fake") {}

  /**
   * Scripts the reply to commands that `match`. The latest matching registration wins, so a
   * test can change what a command answers between a step's check and its apply.
   */
  on(match: FakeMatcher, reply: FakeReply): this {
    this.replies.unshift({ matches: argvMatcher(match), reply });
    return this;
  }

  /** Scripts what hold() answers for commands that `match`, the latest registration winning as for on(). */
  onHold(match: FakeMatcher, reply: FakeHoldReply): this {
    this.holdReplies.unshift({ matches: argvMatcher(match), reply });
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

  /**
   * One after another through exec and readFile (a file read answers as the real read
   * command does: exit 3 when the file is missing), so scripted replies and simulations
   * answer a batch's commands as they answer the same commands alone.
   */
  async batch(commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
    this.assertOpen();
    this.calls.push({ kind: "batch", commands: commands.length });
    const results: ExecResult[] = [];
    for (const c of commands) {
      if (c.kind === "file") {
        const body = await this.readFile(c.path);
        results.push(body === undefined ? exitWith(3) : ok(body.toString()));
        continue;
      }
      const [command, ...args] = batchArgv(c);
      results.push(await this.exec(command, args, c.stdin && stdin !== undefined ? { stdin } : {}));
    }
    return results;
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

  /**
   * Answers as scripted with onHold. A ready answer must match the caller's readyPattern, since
   * a real transport would never report it ready otherwise. A synchronous reply takes effect
   * before hold() returns, so a reply that consults holding() sees every earlier ready answer,
   * as a real lock would.
   */
  hold(command: string, args: readonly string[], options: HoldOptions): Promise<HeldCommand> {
    return settled<HeldCommand>(() => {
      this.assertOpen();
      const call: FakeHoldCall = { kind: "hold", command, args: [...args], options: { ...options } };
      this.calls.push(call);
      const scripted = this.holdReplies.find((r) => r.matches([command, ...args]));
      if (scripted === undefined) {
        return this.held(call, endedWith(NOT_FOUND_EXIT_CODE, `fake: no hold reply scripted for ${quoteCommand([command, ...args])}\n`));
      }
      const result = typeof scripted.reply === "function" ? scripted.reply(call, this) : scripted.reply;
      return result instanceof Promise ? result.then((answer) => this.held(call, answer)) : this.held(call, result);
    });
  }

  /** The commands hold() reported ready that have not been released yet. */
  holding(): FakeHoldCall[] {
    return [...this.running];
  }

  private held(call: FakeHoldCall, result: FakeHoldResult): HeldCommand {
    if (!result.ready) return { ...result, release: () => Promise.resolve() };
    if (result.output.search(call.options.readyPattern) < 0) {
      throw new InternalError(
        `fake: the ready output scripted for ${quoteCommand([call.command, ...call.args])} does not match ${String(call.options.readyPattern)}`,
        "script the output the real command prints when it is ready",
      );
    }
    this.running.add(call);
    return {
      ...result,
      release: () =>
        settled(() => {
          if (!this.running.delete(call)) return;
          this.calls.push({ kind: "release", command: call.command, args: call.args });
        }),
    };
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

type ArgvMatcher = (argv: readonly string[]) => boolean;

function argvMatcher(match: FakeMatcher): ArgvMatcher {
  return typeof match === "function"
    ? (argv) => match(argv[0] ?? "", argv.slice(1))
    : (argv) => argv.length === match.length && argv.every((word, i) => word === match[i]);
}

/** Runs `action` now and delivers its result or its exception as a promise, as the real transports do. */
function settled<T>(action: () => T | Promise<T>): Promise<T> {
  return new Promise((resolve) => resolve(action()));
}
