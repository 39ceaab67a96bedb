import { LineCounter, parseDocument } from "yaml";

import type { Diagnostic } from "../errors.js";
import { SourceLocator } from "./locate.js";
import { formatPath } from "./path.js";
import type { Problem } from "./shape.js";

export type YamlResult = { ok: true; data: unknown; locator: SourceLocator; diagnostic: (p: Problem) => Diagnostic } | { ok: false; diagnostics: Diagnostic[] };

/**
 * YAML text → plain data and a locator for its positions, or every syntax error with its
 * line and column. Shared by the spec and the playbooks so both report problems alike.
 */
export function readYaml(text: string, file: string): YamlResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      diagnostics: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          col: pos.col,
          path: "",
          message: `YAML syntax error: ${e.message.split("\n")[0] ?? e.code}`,
          hint: "fix the YAML syntax at that position (indentation, a missing ':' or an unclosed quote or bracket)",
        };
      }),
    };
  }
  const locator = new SourceLocator(doc, lines);
  // A problem found in the data, placed at its line and column in this file.
  const diagnostic = (p: Problem): Diagnostic => {
    const pos = locator.locate(p.path, p.atKey);
    return { file, line: pos.line, col: pos.col, path: formatPath(p.path), message: p.message, hint: p.hint };
  };
  return { ok: true, data: doc.toJS(), locator, diagnostic };
}
