import type { AnyStep, Step, StepKind } from "../plan/types.js";
import type { Transport } from "../transport/types.js";

/**
 * What `check` found. `change` carries a reason and, for files, a before→after diff;
 * `restart` names a service a change will restart (the plan says so before apply does it).
 * `refuse` stops the step (and its dependents): typically data found where a destructive
 * step would write.
 */
export type CheckResult =
  | { status: "ok"; note?: string }
  | { status: "change"; reason: string; diff?: string; restart?: string }
  | { status: "refuse"; reason: string; hint: string };

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
}

export interface StepHandler<K extends StepKind> {
  /** Read-only: safe in `plan`, safe to repeat. */
  check(step: Step<K>, ctx: StepContext): Promise<CheckResult>;
  /**
   * Makes the change. Returns `{ kept }` when it found, only on looking closer, that nothing
   * needed changing (a device it had to activate to read): the step is then ok, not changed.
   */
  apply(step: Step<K>, ctx: StepContext): Promise<void | { kept: string }>;
}

export type HandlerRegistry = { [K in StepKind]: StepHandler<K> };

export function handlerFor<S extends AnyStep>(registry: HandlerRegistry, step: S): StepHandler<S["kind"]> {
  return registry[step.kind];
}
