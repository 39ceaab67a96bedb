/**
 * Many read-only commands in one remote execution. Every SSH exec under QEMU TCG costs a
 * channel, a login shell and a process start (about 0.2 s each); reading a node's state one
 * command at a time made a no-op plan cost more than `pcs status`. A batch runs all of its
 * commands in parallel inside one `sh -c` and returns each one's exit status and output.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import { InternalError } from "../errors.js";
import { commandFailure } from "./errors.js";
import { type Argv, readFileArgv } from "./file-commands.js";
import { quoteCommand } from "./quote.js";
import type { ExecResult } from "./types.js";

/**
 * One command of a batch. `stdin` is for the one command that needs input (a secret to
 * compare): it reads the batch's own standard input, so it never shows on a command line.
 */
export type BatchCommand = { kind: "exec"; argv: Argv; stdin?: boolean } | { kind: "file"; path: string };

/** Runs argv on the host (one exec), feeding stdin when given. */
export type BatchExec = (argv: Argv, stdin?: Buffer) => Promise<ExecResult>;

/** A file's read command exits 3 when the file is not there (see file-commands). */
export function batchArgv(command: BatchCommand): Argv {
  return command.kind === "file" ? readFileArgv(command.path) : command.argv;
}

/**
 * The script. Each command runs in the background with its stdout, stderr and exit status in
 * files named after its index in a private directory; one `tail -n +1` then prints them all,
 * each behind a `==> DIR/NAME <==` header. DIR carries a random part, so no output can forge a
 * header. The command that reads stdin runs first, in the foreground: a background job's
 * stdin is /dev/null in a shell without job control.
 */
export function batchScript(commands: readonly BatchCommand[], dir: string): string {
  const line = (command: BatchCommand, i: number) => `${command.kind === "exec" && command.stdin ? "s" : "r"} ${i} ${quoteCommand(batchArgv(command))}${command.kind === "exec" && command.stdin ? "" : " &"}`;
  const first = commands.flatMap((c, i) => (c.kind === "exec" && c.stdin ? [line(c, i)] : []));
  const rest = commands.flatMap((c, i) => (c.kind === "exec" && c.stdin ? [] : [line(c, i)]));
  return [
    `d=${dir}`,
    'mkdir -m 700 -- "$d" || exit 125',
    `trap 'rm -rf -- "$d"' EXIT`,
    'r() { n=$1; shift; "$@" >"$d/$n.o" 2>"$d/$n.e" </dev/null; echo $? >"$d/$n.c"; }',
    's() { n=$1; shift; "$@" >"$d/$n.o" 2>"$d/$n.e"; echo $? >"$d/$n.c"; }',
    ...first,
    ...rest,
    "wait",
    'tail -n +1 -- "$d"/*',
  ].join("\n");
}

/** Splits the script's output back into one result per command. */
export function parseBatch(output: string, count: number, dir: string): ExecResult[] {
  const parts = new Map<string, string>();
  // tail puts a blank line before every header but the first.
  for (const piece of `\n${output}`.split(`\n==> ${dir}/`).slice(1)) {
    const header = /^(\d+)\.([oec]) <==\n/.exec(piece);
    if (!header) throw new InternalError(`batch output from ${dir} has a malformed header: ${piece.slice(0, 60)}`, "this is a gfsdeploy bug: please report it");
    parts.set(`${header[1]}.${header[2]}`, piece.slice(header[0].length));
  }
  return Array.from({ length: count }, (_, i) => {
    const code = Number(parts.get(`${i}.c`)?.trim());
    if (!Number.isInteger(code)) throw new InternalError(`batch output from ${dir} has no exit status for command ${i}`, "this is a gfsdeploy bug: please report it");
    return { code, stdout: parts.get(`${i}.o`) ?? "", stderr: parts.get(`${i}.e`) ?? "" };
  });
}

/**
 * templates/scripts/read_batch.py: the batch in one Python process that answers the common
 * reads itself (every process start costs a few hundred ms under TCG). It runs on the first
 * interpreter the node has; a node with none (a minimal install before its packages) gets
 * the shell batch instead.
 */
const READ_BATCH = readFileSync(new URL("../../templates/scripts/read_batch.py", import.meta.url), "utf8");
const ANY_PYTHON = 'for p in /usr/bin/python3 /usr/libexec/platform-python /usr/bin/python; do [ -x "$p" ] && exec "$p" -c "$1"; done; exit 127';

/** The read_batch.py request: one JSON line, then the bytes for the command that reads stdin. */
export function readBatchInput(commands: readonly BatchCommand[], stdin?: Buffer): Buffer {
  const index = commands.findIndex((c) => c.kind === "exec" && c.stdin);
  const request = { commands: commands.map((c) => (c.kind === "file" ? { path: c.path } : { argv: c.argv })), stdin: index < 0 ? null : index };
  return Buffer.concat([Buffer.from(`${JSON.stringify(request)}\n`), index < 0 ? Buffer.alloc(0) : (stdin ?? Buffer.alloc(0))]);
}

/** read_batch.py's answer, checked to hold one result per command. */
export function parseReadBatch(output: string, count: number, host: string): ExecResult[] {
  const parsed = JSON.parse(output) as unknown;
  const valid = (r: unknown): r is ExecResult => typeof r === "object" && r !== null && typeof (r as ExecResult).code === "number" && typeof (r as ExecResult).stdout === "string" && typeof (r as ExecResult).stderr === "string" && ["number", "undefined"].includes(typeof (r as ExecResult).ms);
  if (!Array.isArray(parsed) || parsed.length !== count || !parsed.every(valid)) throw new InternalError(`${host}: read_batch.py answered ${count} reads with something else`, "this is a gfsdeploy bug: please report it");
  return parsed;
}

/**
 * Runs the batch as one exec over `exec`, in Python where the node has it; a batch that
 * could not run at all is an error, not data.
 */
export async function batchVia(exec: BatchExec, host: string, commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
  if (commands.length === 0) return [];
  if (commands.filter((c) => c.kind === "exec" && c.stdin).length > 1) throw new InternalError("a batch can feed stdin to one command only", "this is a gfsdeploy bug: please report it");
  const python = await exec(["sh", "-c", ANY_PYTHON, "sh", READ_BATCH], readBatchInput(commands, stdin));
  if (python.code === 0) return parseReadBatch(python.stdout, commands.length, host);
  if (python.code !== 127) throw commandFailure(host, `read the node's state (${commands.length} reads, read_batch.py)`, python);
  return shellBatch(exec, host, commands, stdin);
}

/** The batch without Python: one `sh -c`, one process per command. */
export async function shellBatch(exec: BatchExec, host: string, commands: readonly BatchCommand[], stdin?: Buffer): Promise<ExecResult[]> {
  const dir = `/tmp/gfsdeploy-batch-${randomBytes(9).toString("hex")}`;
  const result = await exec(["sh", "-c", batchScript(commands, dir)], stdin);
  if (result.code !== 0) throw commandFailure(host, `read the node's state (${commands.length} commands in one batch)`, result);
  return parseBatch(result.stdout, commands.length, dir);
}
