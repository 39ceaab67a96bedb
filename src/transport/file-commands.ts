/**
 * readFile and writeFile as shell commands, shared by the SSH and local transports so both
 * keep the same promises. Contents travel as raw bytes on stdout and stdin, never on a
 * command line. Plain commands rather than SFTP because hardened hosts often disable the
 * sftp subsystem, while sh, cat, mktemp, chmod, chown and mv are on every node we manage.
 */

import { InternalError } from "../errors.js";
import { commandFailure } from "./errors.js";
import type { WriteOptions } from "./types.js";

/** A command's result with stdout kept as bytes, so binary files survive intact. */
export interface RawExecResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** A command and its arguments. */
export type Argv = readonly [command: string, ...args: string[]];

/** Runs argv on the transport's host, feeding `stdin` when given. */
export type RawExec = (argv: Argv, stdin?: Buffer) => Promise<RawExecResult>;

/** The read script's status for a missing file; cat itself only exits 0 or 1. */
const MISSING_EXIT_CODE = 3;

const READ_SCRIPT = `[ -e "$1" ] || exit ${MISSING_EXIT_CODE}; exec cat -- "$1"`;

/**
 * The temporary file sits beside the target so the final mv is a rename inside one file
 * system: readers see the old content or the new, never a part. mktemp creates it 0600 and
 * the mode and owner are set before any content is written, so a secret is never readable
 * by others, not even for a moment. The trap removes the temporary file when a step fails.
 */
const WRITE_SCRIPT = [
  "set -eu",
  'tmp=$(mktemp "$(dirname -- "$1")/.gfsdeploy-tmp.XXXXXX")',
  `trap 'rm -f -- "$tmp"' EXIT`,
  'chmod "$2" "$tmp"',
  'chown "$3:$4" "$tmp"',
  'cat > "$tmp"',
  'mv -f -- "$tmp" "$1"',
  "trap - EXIT",
].join("\n");

/** The command that prints the file at `path`, or exits MISSING_EXIT_CODE when there is none. */
export function readFileArgv(path: string): Argv {
  return ["sh", "-c", READ_SCRIPT, "gfsdeploy-read", path];
}

/** The command that atomically replaces `path` with what it reads on stdin. */
export function writeFileArgv(path: string, options: WriteOptions = {}): Argv {
  const mode = options.mode ?? 0o644;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new InternalError(`file mode ${mode} for ${path} is not a Unix mode`, "pass an octal number such as 0o640");
  }
  // chown reads `owner:` (empty group) as the owner's login group.
  return ["sh", "-c", WRITE_SCRIPT, "gfsdeploy-write", path, octal(mode), options.owner ?? "root", options.group ?? ""];
}

export async function readFileVia(run: RawExec, host: string, path: string): Promise<Buffer | undefined> {
  const result = await run(readFileArgv(path));
  if (result.code === 0) return result.stdout;
  if (result.code === MISSING_EXIT_CODE) return undefined;
  throw commandFailure(host, `read ${path}`, result);
}

export async function writeFileVia(
  run: RawExec,
  host: string,
  path: string,
  body: string | Buffer,
  options: WriteOptions = {},
): Promise<void> {
  const result = await run(writeFileArgv(path, options), Buffer.from(body));
  if (result.code !== 0) {
    const owner = `${options.owner ?? "root"}${options.group === undefined ? "" : `:${options.group}`}`;
    throw commandFailure(host, `write ${path} (mode ${octal(options.mode ?? 0o644)}, owner ${owner})`, result);
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
