/**
 * Runs commands on the controller itself, with the same semantics as the SSH transport:
 * no shell in between (execa passes argv directly), a non-zero exit is data, stdin is
 * closed after what was given, and file operations are the same shell commands.
 */

import { execa, type Result } from "execa";
import { InternalError } from "../errors.js";
import {
  exitCodeForSignal,
  NOT_EXECUTABLE_EXIT_CODE,
  NOT_FOUND_EXIT_CODE,
  TIMED_OUT_EXIT_CODE,
} from "./exit-status.js";
import { type BatchCommand, batchVia } from "./batch.js";
import { type Argv, readFileVia, type RawExecResult, writeFileVia } from "./file-commands.js";
import { holdCommand } from "./held.js";
import type { ExecOptions, ExecResult, HeldCommand, HoldOptions, Transport, WriteOptions } from "./types.js";

export class LocalTransport implements Transport {
  /** @param host the name messages use for the controller. */
  constructor(readonly host = "localhost") {}

  async exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.run([command, ...args], options);
    return { ...result, stdout: result.stdout.toString() };
  }

  batch(commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
    return batchVia(async (argv, input) => {
      const r = await this.run(argv, input === undefined ? {} : { stdin: input });
      return { ...r, stdout: r.stdout.toString() };
    }, this.host, commands, stdin);
  }

  readFile(path: string): Promise<Buffer | undefined> {
    return readFileVia((argv) => this.run(argv, {}), this.host, path);
  }

  writeFile(path: string, body: string | Buffer, options?: WriteOptions): Promise<void> {
    return writeFileVia((argv, stdin) => this.run(argv, { stdin }), this.host, path, body, options);
  }

  hold(command: string, args: readonly string[], options: HoldOptions): Promise<HeldCommand> {
    return holdCommand(command, options, (output) => {
      // Output goes to the sink as it comes rather than into execa's buffers.
      const subprocess = execa(command, args, { stdin: "pipe", buffer: false, reject: false });
      subprocess.stdout.on("data", output.stdout);
      subprocess.stderr.on("data", output.stderr);
      const exited = subprocess.then((result) => {
        const { code, stderr } = exitStatus(result, command);
        output.stderr(Buffer.from(stderr));
        return code;
      });
      return { endStdin: () => subprocess.stdin.end(), exited };
    });
  }

  /** Nothing to release: every command is its own process. */
  async close(): Promise<void> {}

  private async run([command, ...args]: Argv, options: ExecOptions): Promise<RawExecResult> {
    const result = await execa(command, args, {
      // An empty input still closes stdin, as SSH does, so a command reading it cannot hang.
      input: options.stdin ?? "",
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      ...(options.env === undefined ? {} : { env: options.env }),
      reject: false,
      stripFinalNewline: false,
      encoding: "buffer",
    });
    const stdout = Buffer.from(result.stdout);
    const stderr = Buffer.from(result.stderr).toString();
    if (result.timedOut) {
      return { code: TIMED_OUT_EXIT_CODE, stdout, stderr: `${stderr}${command}: timed out after ${options.timeoutMs} ms\n` };
    }
    const status = exitStatus(result, command);
    return { code: status.code, stdout, stderr: `${stderr}${status.stderr}` };
  }
}

/** How a finished command exited, as a shell reports it, with what the shell would have printed. */
function exitStatus(result: Result, command: string): { code: number; stderr: string } {
  if (result.exitCode !== undefined) return { code: result.exitCode, stderr: "" };
  if (result.signal !== undefined) return { code: exitCodeForSignal(result.signal), stderr: "" };
  // execa could not start the command; report it the way a shell would.
  if (result.code === "ENOENT") return { code: NOT_FOUND_EXIT_CODE, stderr: `${command}: command not found\n` };
  if (result.code === "EACCES") return { code: NOT_EXECUTABLE_EXIT_CODE, stderr: `${command}: permission denied\n` };
  throw new InternalError(
    `cannot start ${command} on the controller: ${String(result.shortMessage)}`,
    "check the controller's limits on processes and open files",
  );
}
