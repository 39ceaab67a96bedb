import type { AnyStep, Step, StepKind } from "../plan/types.js";
import type { Facts, Read } from "../probes/facts.js";
import type { Transport } from "../transport/types.js";

/**
 * What `check` found. `change` carries a reason and, for files, a before→after diff;
 * `restart` names a service a change will restart (the plan says so before apply does it).
 * `pending`: the step cannot be judged before a change upstream is made (no cluster yet, a
 * device not there yet); in apply, where everything upstream is done, that is a failure.
 * `refuse` stops the step (and its dependents): typically data found where a destructive
 * step would write.
 */
export type CheckResult =
  | { status: "ok"; note?: string }
  | { status: "change"; reason: string; diff?: string; restart?: string }
  | { status: "pending"; why: string }
  | { status: "refuse"; reason: string; hint: string };

/** What a check may know besides the node's facts: all of it local, none of it read from a node. */
export interface CheckEnv {
  host: string;
  secrets: SecretStore;
  /** Devices the user explicitly allowed destructive steps to overwrite (`--force-device`). */
  forced: ReadonlySet<string>;
  /** Scripts shipped to nodes (templates/scripts), by file name. */
  scripts: Readonly<Record<string, string>>;
}

/** Secret values by spec path (`secrets.haclusterPassword`), resolved at the edge. */
export interface SecretStore {
  get(path: string): Buffer;
  /** True when the secret does not exist yet and apply will create it (the authkey). */
  pending(path: string): boolean;
}

export interface StepContext {
  /** The step host's transport. Handlers reach hosts only through it. */
  t: Transport;
  secrets: SecretStore;
  /** Devices the user explicitly allowed destructive steps to overwrite (`--force-device`). */
  forced: ReadonlySet<string>;
  /** Scripts shipped to nodes (templates/scripts), by file name. */
  scripts: Readonly<Record<string, string>>;
  /** Debug lines: shown with --verbose and in the JSON stream, never secrets. */
  log: (line: string) => void;
  /** Poll interval for readiness loops, ms. Tests shorten it. */
  pollMs: number;
  /** Reads the node afresh (one batch), for an apply that must look again: a poll, a last safety look. */
  read(reads: readonly Read[]): Promise<Facts>;
}

export interface StepHandler<K extends StepKind> {
  /** Everything `check` looks at: gathered with the rest of the node's reads, in one batch. */
  reads(step: Step<K>, env: CheckEnv): Read[];
  /** Pure: a judgement of the gathered facts. It cannot reach the node, so it is safe in `plan`. */
  check(step: Step<K>, facts: Facts, env: CheckEnv): CheckResult;
  /**
   * Fills gfsdeploy's own cache on the node with what `check` compares against (the desired
   * CIB, built by pcs), when the facts show it missing or stale; true when it wrote. It never
   * touches what the cluster runs on.
   */
  prepare?(step: Step<K>, facts: Facts, ctx: StepContext): Promise<boolean>;
  /**
   * Makes the change, from the facts its check just judged. Returns `{ kept }` when it found, only on looking closer, that nothing
   * needed changing (a device it had to activate to read): the step is then ok, not changed.
   */
  apply(step: Step<K>, ctx: StepContext, facts: Facts): Promise<void | { kept: string }>;
}

export type HandlerRegistry = { [K in StepKind]: StepHandler<K> };

export function handlerFor<S extends AnyStep>(registry: HandlerRegistry, step: S): StepHandler<S["kind"]> {
  return registry[step.kind];
}
