import { Ajv, type ValidateFunction } from "ajv";

import type { Diagnostic } from "../errors.js";
import { schemaProblems, type Problem } from "../spec/shape.js";
import { readYaml } from "../spec/yaml.js";
import { playbookSchema } from "./schema.js";
import type { Playbook } from "./types.js";

export type PlaybookResult = { ok: true; playbook: Playbook } | { ok: false; diagnostics: Diagnostic[] };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true, verbose: true }).compile(playbookSchema);
  return compiled;
}

const wording = {
  reference: "the Playbooks section of README.md",
  formatHints: {
    name: "use lower-case letters, digits and '-', starting with a letter",
    description: "write it on one line",
  },
};

/**
 * Text → validated playbook, or every problem found with its line and column. Pure: the CLI
 * reads the file, so tests and the CLI share one code path.
 */
export function parsePlaybook(text: string, file: string): PlaybookResult {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const { data, diagnostic: toDiagnostic } = read;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, diagnostics: [{ file, line: 1, col: 1, path: "", message: "the playbook must be a YAML mapping", hint: "start with name:, description:, workflow: and phases: (see playbooks/site.yaml)" }] };
  }
  const shape = schemaProblems(validator(), data, wording);
  if (shape.length > 0) return { ok: false, diagnostics: shape.map(toDiagnostic) };
  const playbook = data as Playbook;
  const rules = ruleProblems(playbook);
  if (rules.length > 0) return { ok: false, diagnostics: rules.map(toDiagnostic) };
  return { ok: true, playbook };
}

function ruleProblems(playbook: Playbook): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  /** The first phase that changes the cluster, once one has been listed. */
  let changing: string | undefined;
  playbook.phases.forEach((phase, i) => {
    const first = seen.get(phase.name);
    if (first !== undefined) {
      problems.push({ path: ["phases", i, "name"], message: `phase '${phase.name}' is listed twice (first as phases[${first}])`, hint: "list each phase once, where it runs" });
    }
    seen.set(phase.name, first ?? i);
    if (phase.checkOnly !== undefined && playbook.workflow !== "apply") {
      problems.push({ path: ["phases", i, "checkOnly"], atKey: true, message: `checkOnly belongs in apply playbooks, not in a ${playbook.workflow} playbook`, hint: "remove checkOnly" });
    } else if (phase.checkOnly && changing !== undefined) {
      // Every check runs before anything changes, so a check listed after a changing phase would misstate the order.
      problems.push({ path: ["phases", i, "checkOnly"], atKey: true, message: `check-only phase '${phase.name}' comes after '${changing}', which changes the cluster`, hint: "list the check-only phases first: they are all checked before anything runs" });
    }
    if (!phase.checkOnly) changing ??= phase.name;
  });
  return problems;
}
