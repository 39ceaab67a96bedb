/**
 * What a run knows of a node: the results of read-only commands and file reads, gathered in
 * one batch per node (transport/batch.ts) and kept as data. Checks are pure functions of it;
 * the only place that reads a node is gather() here. A Facts becomes plain JSON (`toJson`),
 * which `plan --record-facts` writes, and comes back from it (`fromJson`), so checks can be
 * tested on what real nodes said.
 */

import { InternalError, UsageError } from "../errors.js";
import type { BatchCommand } from "../transport/batch.js";
import type { Argv } from "../transport/file-commands.js";
import { quoteCommand } from "../transport/quote.js";
import type { ExecResult, Transport } from "../transport/types.js";

/** Bumped whenever the meaning of a recorded read changes. */
export const FACTS_SCHEMA = 1;

/**
 * One thing to read: a command's exit status and output, or a file. `secret` names a secret
 * (by spec path) fed to the command's stdin, e.g. a password to compare with a hash.
 */
export type Read = { kind: "exec"; argv: Argv; secret?: string } | { kind: "file"; path: string };

export const execRead = (...argv: Argv): Read => ({ kind: "exec", argv });
export const fileRead = (path: string): Read => ({ kind: "file", path });

/** The read's identity: two steps asking the same thing share one result. */
export function readKey(read: Read): string {
  return read.kind === "file" ? `file ${read.path}` : quoteCommand(read.argv);
}

export interface FactsJson {
  schema: typeof FACTS_SCHEMA;
  host: string;
  reads: Record<string, ExecResult>;
}

export class Facts {
  constructor(
    readonly host: string,
    private readonly results: ReadonlyMap<string, ExecResult>,
  ) {}

  /**
   * Facts as `plan --record-facts` wrote them. A recording made under another FACTS_SCHEMA is
   * refused: the same read may have meant something else then.
   */
  static fromJson(json: unknown, source: string): Facts {
    const again = `record them again: gfsdeploy plan --record-facts DIR SPEC`;
    const { schema, host, reads } = (json ?? {}) as Partial<Record<keyof FactsJson, unknown>>;
    if (schema !== FACTS_SCHEMA) throw new UsageError(`${source}: recorded facts of schema ${JSON.stringify(schema)}; this gfsdeploy reads schema ${FACTS_SCHEMA}`, again);
    if (typeof host !== "string" || typeof reads !== "object" || reads === null) throw new UsageError(`${source}: not recorded facts (a host and its reads)`, again);
    const results = new Map<string, ExecResult>();
    for (const [key, r] of Object.entries(reads)) {
      const { code, stdout, stderr } = (r ?? {}) as Partial<Record<keyof ExecResult, unknown>>;
      if (typeof code !== "number" || typeof stdout !== "string" || typeof stderr !== "string") throw new UsageError(`${source}: the result of ${key} has no exit code, stdout and stderr`, again);
      results.set(key, { code, stdout, stderr });
    }
    return new Facts(host, results);
  }

  toJson(): FactsJson {
    // Without the timings: recorded facts are what the node said, the same on every run.
    const reads = [...this.results].map(([key, { code, stdout, stderr }]) => [key, { code, stdout, stderr }] as const);
    return { schema: FACTS_SCHEMA, host: this.host, reads: Object.fromEntries(reads.sort(([a], [b]) => a.localeCompare(b))) };
  }

  /** A read's result. Asking for one that was not gathered is a bug: its step did not declare it. */
  get(read: Read): ExecResult {
    const r = this.results.get(readKey(read));
    if (r === undefined) throw new InternalError(`${this.host}: ${readKey(read)} was not read: the step's reads() must list it`, "this is a gfsdeploy bug: please report it");
    return r;
  }

  exec(...argv: Argv): ExecResult {
    return this.get(execRead(...argv));
  }

  /** A file's text, or undefined when it does not exist (or could not be read). */
  file(path: string): string | undefined {
    const r = this.get(fileRead(path));
    return r.code === 0 ? r.stdout : undefined;
  }

  /** These facts with `newer` in place of what they held for the same reads. */
  merged(newer: Facts): Facts {
    return new Facts(this.host, new Map([...this.results, ...newer.results]));
  }
}

/** Where the secrets fed to reads come from. */
export interface SecretSource {
  get(path: string): Buffer;
}

const NO_SECRETS: SecretSource = {
  get: (path) => {
    throw new InternalError(`a read needs the secret ${path}, but none were given`, "this is a gfsdeploy bug: please report it");
  },
};

/**
 * Reads everything in `reads` (duplicates once) from the host: one remote execution, or one
 * more for each further read that needs a secret on stdin (a batch feeds one command).
 */
export async function gather(t: Transport, reads: readonly Read[], secrets: SecretSource = NO_SECRETS): Promise<Facts> {
  const unique = new Map(reads.map((r) => [readKey(r), r]));
  const plain = [...unique.values()].filter((r) => r.kind === "file" || r.secret === undefined);
  const secret = [...unique.values()].filter((r): r is Extract<Read, { kind: "exec" }> => r.kind === "exec" && r.secret !== undefined);
  const results = new Map<string, ExecResult>();
  const batches: { commands: Read[]; stdin?: Buffer }[] = [];
  const [first, ...more] = secret;
  batches.push(first ? { commands: [...plain, first], stdin: secrets.get(first.secret as string) } : { commands: plain });
  for (const r of more) batches.push({ commands: [r], stdin: secrets.get(r.secret as string) });
  for (const b of batches) {
    if (b.commands.length === 0) continue;
    const commands: BatchCommand[] = b.commands.map((r) => (r.kind === "file" ? r : { kind: "exec", argv: r.argv, stdin: r.secret !== undefined }));
    const out = await t.batch(commands, b.stdin);
    b.commands.forEach((r, i) => results.set(readKey(r), out[i] as ExecResult));
  }
  return new Facts(t.host, results);
}
