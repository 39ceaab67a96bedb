import { InternalError } from "../../errors.js";
import type { NodeSpec } from "../../spec/types.js";

/**
 * What a component made for each of a list of things (nodes, DRBD resources, LVs), found by the
 * thing itself, so a later component never rebuilds a step id from names. Asking for a thing
 * none was made for is a bug, never a default.
 */
export class Handles<K, T> {
  private constructor(
    private readonly keyOf: (key: K) => string,
    private readonly byKey: ReadonlyMap<string, T>,
  ) {}

  /** `keyOf` names a thing, for finding it and for the message when it is missing. */
  static from<K, T>(keyOf: (key: K) => string, entries: readonly (readonly [K, T])[]): Handles<K, T> {
    return new Handles(keyOf, new Map(entries.map(([key, value]) => [keyOf(key), value])));
  }

  of(key: K): T {
    const name = this.keyOf(key);
    if (!this.byKey.has(name)) throw new InternalError(`nothing was compiled for ${name}`, "this is a gfsdeploy bug: please report it with your spec");
    return this.byKey.get(name) as T;
  }

  all(): T[] {
    return [...this.byKey.values()];
  }

  map<U>(f: (value: T) => U): Handles<K, U> {
    return new Handles(this.keyOf, new Map([...this.byKey].map(([name, value]) => [name, f(value)])));
  }
}

/** `make` for every node, in the spec's node order (the order its steps are added in). */
export function perNode<T>(nodes: readonly NodeSpec[], make: (node: NodeSpec, index: number) => T): Handles<NodeSpec, T> {
  return Handles.from((n) => `node ${n.name}`, nodes.map((n, i) => [n, make(n, i)] as const));
}
