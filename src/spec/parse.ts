import type { Diagnostic } from "../errors.js";
import { applyDerivedDefaults } from "./defaults.js";
import type { SourceLocator } from "./locate.js";
import { checkRules } from "./rules.js";
import { checkShape } from "./shape.js";
import type { Distro, Section, Spec } from "./types.js";
import { readYaml } from "./yaml.js";

export type ParseResult =
  | { ok: true; spec: Spec; locator: SourceLocator }
  | { ok: false; diagnostics: Diagnostic[] };

/**
 * Text → validated spec with every default filled in, or every problem found. Pure: the
 * caller reads the file, so tests and the CLI share one code path. `detected` is what the
 * nodes said they are when the spec has `distro: auto`: it replaces `auto` before the
 * defaults and rules that depend on the distribution, so they judge the real target.
 */
export function parseSpec(text: string, file: string, detected?: Distro): ParseResult {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const { data, locator, diagnostic: toDiagnostic } = read;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return {
      ok: false,
      diagnostics: [{ file, line: 1, col: 1, path: "", message: "the spec must be a YAML mapping", hint: "start with apiVersion: gfsdeploy/v1 (see README.md)" }],
    };
  }
  const shapeProblems = checkShape(data);
  const spec = data as Spec;
  // A rule reads whole sections: it runs on every section the schema found well-formed, so
  // one run reports the malformed parts and the rule problems of the rest together.
  const malformed = new Set(shapeProblems.map((p) => p.path[0]));
  const wellFormed = (section: Section) => (data as Record<string, unknown>)[section] !== undefined && !malformed.has(section);
  if (detected !== undefined && wellFormed("cluster") && spec.cluster.distro === "auto") spec.cluster.distro = detected;
  const complete = applyDerivedDefaults(spec, wellFormed);
  const problems = [...shapeProblems, ...checkRules(spec, complete)];
  if (problems.length > 0) return { ok: false, diagnostics: problems.map(toDiagnostic) };
  return { ok: true, spec, locator };
}
