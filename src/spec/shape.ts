import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

import { formatPath, fromJsonPointer, nearest, type SpecPath } from "./path.js";
import { EL10_REFUSAL } from "./distro.js";
import { specSchema } from "./schema.js";

/** A problem before it is given a file position. */
export interface Problem {
  path: SpecPath;
  message: string;
  hint: string;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true }).compile(specSchema);
  return compiled;
}

/** Friendlier words for the format rules, by the name of the field they guard. */
const formatHints: Record<string, string> = {
  size: "use 100%FREE, 50%VG, 100%PVS or an absolute size such as 20G",
  journalSize: "use megabytes with an M, e.g. 64M (mkfs.gfs2 accepts 8M to 1024M)",
  timeout: "use a duration such as 60s, 2min or 90000ms",
  monitor: "use a duration such as 60s",
  start: "use a duration such as 60s",
  name: "use letters, digits, '-', '_' and '.' only",
  resyncRate: "use a rate such as 100M",
};

/**
 * Checks the shape and fills in plain defaults (mutating `data`). Returns every problem,
 * each phrased for a person, with no ajv jargon.
 */
export function checkShape(data: unknown): Problem[] {
  return schemaProblems(validator(), data, { reference: "the spec reference in README.md", formatHints, refusedValue });
}

/** A distro value that names EL 10 gets the reason there is no such target, not a guess. */
function refusedValue(field: string, value: string): Omit<Problem, "path"> | undefined {
  if (field === "distro" && /^(el|rhel|centos|rocky|alma(linux)?|ol|oracle)-?10\b/i.test(value)) {
    return { message: `'${value}': ${EL10_REFUSAL.message}`, hint: EL10_REFUSAL.hint };
  }
  return undefined;
}

/** How problems found by a schema are put into words for the file being validated. */
export interface Wording {
  /** Where the reader finds the format, e.g. "the spec reference in README.md". */
  reference: string;
  /** Hints for `pattern` failures, by the name of the field. */
  formatHints: Readonly<Record<string, string>>;
  /** Values an enum leaves out on purpose, with the reason in place of a guess. */
  refusedValue?: (field: string, value: string) => Omit<Problem, "path"> | undefined;
}

/** Runs `validate` on `data` and phrases every problem for a person, with no ajv jargon. */
export function schemaProblems(validate: ValidateFunction, data: unknown, wording: Wording): Problem[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // An anyOf failure also reports each branch's failure; the anyOf line alone says it best.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  return errors
    .filter((e) => e.keyword === "anyOf" || !anyOfPaths.has(e.instancePath))
    .map((e) => describe(e, data, wording));
}

function describe(e: ErrorObject, data: unknown, wording: Wording): Problem {
  const path = fromJsonPointer(e.instancePath);
  const field = String(path.at(-1) ?? "");
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const known = knownKeys(e.parentSchema);
      const guess = nearest(key, known);
      return {
        path: [...path, key],
        atKey: true,
        message: `unknown key '${key}'`,
        hint: guess
          ? `did you mean '${guess}'? (known keys here: ${known.join(", ")})`
          : `remove it; known keys here: ${known.join(", ")}`,
      };
    }
    case "required": {
      const key = String(p.missingProperty);
      return {
        path,
        message: `missing required key '${key}'`,
        hint: `add '${key}:' under ${formatPath(path) || "the top level"} (see ${wording.reference})`,
      };
    }
    case "type":
      return { path, message: `must be ${article(String(p.type))}`, hint: `write ${field || "it"} as ${article(String(p.type))}` };
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const actual = String(valueAt(data, path));
      const refused = wording.refusedValue?.(field, actual);
      if (refused) return { path, ...refused };
      const guess = nearest(actual, allowed);
      return {
        path,
        message: `'${actual}' is not one of: ${allowed.join(", ")}`,
        hint: guess ? `did you mean '${guess}'?` : `choose one of: ${allowed.join(", ")}`,
      };
    }
    case "const":
      return { path, message: `must be '${String(p.allowedValue)}'`, hint: `write ${field}: ${String(p.allowedValue)}` };
    case "pattern":
      return {
        path,
        message: `'${String(valueAt(data, path))}' has the wrong format`,
        hint: wording.formatHints[field] ?? `it must match ${String(p.pattern)}`,
      };
    case "minimum":
    case "maximum":
      return {
        path,
        message: `must be ${e.keyword === "minimum" ? "at least" : "at most"} ${String(p.limit)}`,
        hint: `choose a value ${e.keyword === "minimum" ? "≥" : "≤"} ${String(p.limit)}`,
      };
    case "minItems":
      return { path, message: `needs at least ${String(p.limit)} item(s)`, hint: `add ${field} entries` };
    case "maxItems":
      return { path, message: `allows at most ${String(p.limit)} item(s)`, hint: `remove ${field} entries` };
    case "minLength":
      return { path, message: "must not be empty", hint: `give ${field} a value` };
    case "anyOf":
      return {
        path,
        message: "must be a string, a number, a boolean or a secret reference",
        hint: "write a plain value, or { env: VAR } / { file: PATH } for a secret",
      };
    default:
      return { path, message: e.message ?? e.keyword, hint: `see ${wording.reference}` };
  }
}

function knownKeys(parentSchema: unknown): string[] {
  const props = (parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

/** Types in YAML's words, which is what the user wrote. */
function article(type: string): string {
  const words: Record<string, string> = { array: "a list", object: "a mapping", integer: "a whole number", number: "a number", string: "a string", boolean: "true or false" };
  return words[type] ?? `a ${type}`;
}

function valueAt(data: unknown, path: SpecPath): unknown {
  let cur = data;
  for (const seg of path) cur = (cur as Record<string | number, unknown> | undefined)?.[seg];
  return cur;
}
