/**
 * Turning a failed command (data, as every transport returns it) into the RemoteCommandError
 * the CLI prints, for callers that need the command to succeed.
 */

import { RemoteCommandError, tail } from "../errors.js";
import { NOT_FOUND_EXIT_CODE, TIMED_OUT_EXIT_CODE } from "./exit-status.js";
import { quoteCommand } from "./quote.js";
import type { ExecOptions, ExecResult, Transport } from "./types.js";

/**
 * Returns `result` when the command exited 0, otherwise throws a RemoteCommandError naming the
 * host, the step, the command line and the tail of stderr. Pass the command's stdin as
 * `stdin` so anything it echoed back is blanked out of the message.
 */
export function mustSucceed(
  result: ExecResult,
  transport: Pick<Transport, "host">,
  command: string,
  args: readonly string[] = [],
  stepId?: string,
  stdin?: string | Buffer,
): ExecResult {
  if (result.code === 0) return result;
  throw commandFailure(transport.host, quoteCommand([command, ...args]), result, { stepId, stdin });
}

/** `exec` followed by `mustSucceed`, which then knows the stdin to keep out of the message. */
export async function mustExec(
  transport: Transport,
  command: string,
  args: readonly string[] = [],
  options: ExecOptions & { stepId?: string } = {},
): Promise<ExecResult> {
  const { stepId, ...execOptions } = options;
  const result = await transport.exec(command, args, execOptions);
  return mustSucceed(result, transport, command, args, stepId, options.stdin);
}

/** The error for a failed command, described by `commandText` (a command line or a summary). */
export function commandFailure(
  host: string,
  commandText: string,
  result: Pick<ExecResult, "code" | "stderr">,
  context: { stepId?: string | undefined; stdin?: string | Buffer | undefined } = {},
): RemoteCommandError {
  const stderr = context.stdin === undefined ? result.stderr : redactStdin(result.stderr, context.stdin);
  return new RemoteCommandError(host, commandText, result.code, tail(stderr), hintFor(result.code), context.stepId);
}

function hintFor(code: number): string | undefined {
  switch (code) {
    case NOT_FOUND_EXIT_CODE:
      return "exit 127 means the command was not found: install the package that provides it on that host";
    case TIMED_OUT_EXIT_CODE:
      return "exit 124 means the command ran out of time: find out on that host what it waited for";
    default:
      return undefined;
  }
}

/**
 * Shorter pieces of stdin are left in the text: they are too short to be secrets, and
 * blanking them would shred ordinary words in the message.
 */
const MIN_REDACTED_LENGTH = 6;

/**
 * What a command reads on stdin is usually a secret, and some commands echo their input in an
 * error (a rejected password, say). Every line of stdin, and every word of it split at blanks,
 * `=` and `:`, is blanked out of `text`.
 */
function redactStdin(text: string, stdin: string | Buffer): string {
  const fragments = new Set<string>();
  for (const line of stdin.toString().split("\n")) {
    fragments.add(line.trim());
    for (const word of line.split(/[\s=:]+/)) fragments.add(word);
  }
  return [...fragments]
    .filter((fragment) => fragment.length >= MIN_REDACTED_LENGTH)
    .sort((a, b) => b.length - a.length)
    .reduce((redacted, fragment) => redacted.replaceAll(fragment, "[redacted]"), text);
}
