import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";

import type { SpecPath } from "./path.js";

export interface Position {
  line: number;
  col: number;
}

/**
 * Maps spec paths to line:col in the YAML source. A path that does not exist in the source
 * (a defaulted field, a missing key) resolves to its nearest existing ancestor, so every
 * diagnostic points somewhere useful.
 */
export class SourceLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the value at `path` (or of its key when `atKey`). */
  locate(path: SpecPath, atKey = false): Position {
    let node: Node | null | undefined = this.doc.contents;
    let best: Node | null | undefined = node;
    let keyNode: Node | undefined;
    for (const seg of path) {
      const pair = findPair(node, seg);
      if (pair === undefined) break;
      keyNode = pair.key;
      node = pair.value;
      best = node ?? keyNode;
      if (!node) break;
    }
    const target = atKey && keyNode && best === node ? keyNode : best;
    const offset = target?.range?.[0] ?? 0;
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }
}

interface Hit {
  key?: Node;
  value: Node | null | undefined;
}

function findPair(node: Node | null | undefined, seg: string | number): Hit | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) return undefined;
    return { key: pair.key as Node, value: pair.value as Node | null };
  }
  if (isSeq(node) && typeof seg === "number") {
    const item = node.items[seg];
    return item === undefined ? undefined : { value: item as Node };
  }
  return undefined;
}
