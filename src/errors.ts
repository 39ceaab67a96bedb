/**
 * The error hierarchy. Every error the CLI prints is one of these: each carries a `hint`
 * saying how to fix the problem, and the CLI's single boundary prints `message` + `hint`
 * and maps the class to an exit code. Nothing else calls process.exit.
 */

export abstract class GfsError extends Error {
  abstract readonly exitCode: number;
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One problem in a spec, located in the source file. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** Spec path such as `drbd.resources[0].port`. */
  path: string;
  message: string;
  hint: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}  ${d.path || "(root)"}: ${d.message}\n  hint: ${d.hint}`;
}

/** Invalid input: all problems found in one run. Exit code 2, like a usage error. */
export class SpecError extends GfsError {
  readonly exitCode = 2;
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(
      diagnostics.map(formatDiagnostic).join("\n"),
      `fix the ${diagnostics.length} problem(s) above; nothing was contacted or changed`,
    );
  }
}

/** The spec is valid but cannot be turned into a plan (e.g. a dependency cycle). */
export class PlanError extends GfsError {
  readonly exitCode = 1;
}

/** Wrong command-line usage that commander itself cannot see. */
export class UsageError extends GfsError {
  readonly exitCode = 2;
}

/** A command on a host exited non-zero where the caller needed it to succeed. */
export class RemoteCommandError extends GfsError {
  readonly exitCode = 1;
  constructor(
    readonly host: string,
    readonly command: string,
    readonly code: number,
    readonly stderrTail: string,
    hint = "run the command by hand on that host to see the whole output",
    readonly stepId?: string,
  ) {
    super(
      `${stepId ? `[${stepId}] ` : ""}${host}: \`${command}\` exited ${code}${stderrTail ? `\n${stderrTail}` : ""}`,
      hint,
    );
  }
}

/** A host could not be reached or refused us (network, auth, host key). */
export class ConnectionError extends GfsError {
  readonly exitCode = 1;
}

/** After apply, the step's own check still did not report ok: a bug or an interfering actor. */
export class StepNotConvergedError extends GfsError {
  readonly exitCode = 1;
}

/** Another apply holds the cluster lock. */
export class LockedError extends GfsError {
  readonly exitCode = 1;
}

/** The cluster is not in a state the command may run in (bench, a playbook), or one of bench's correctness checks failed. */
export class UnhealthyError extends GfsError {
  readonly exitCode = 1;
}

/** A bug in gfsdeploy: printed with its stack trace so it can be reported. */
export class InternalError extends GfsError {
  readonly exitCode = 70;
}

/** Last lines of a command's stderr, for error messages that stay readable. */
export function tail(text: string, lines = 12): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}
