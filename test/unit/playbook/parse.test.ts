import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { loadPlaybook, shippedPlaybooks } from "../../../src/cli/playbooks.js";
import { formatDiagnostic, SpecError, UsageError } from "../../../src/errors.js";
import { parsePlaybook } from "../../../src/playbook/parse.js";
import { scratchDir } from "../../support/scratch.js";

/** Every diagnostic of `text` as the CLI prints it, or "ok". */
function problems(text: string): string[] {
  const r = parsePlaybook(text, "pb.yaml");
  return r.ok ? ["ok"] : r.diagnostics.map(formatDiagnostic);
}

/** What `fn` throws; fails the test when it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, got none");
}

const good = `name: mini
description: Two phases
workflow: apply
phases:
  - name: prepare
    description: first
  - name: corosync
    description: second
`;

describe("parsePlaybook", () => {
  it("accepts a well-formed playbook and keeps the phases in their order", () => {
    const r = parsePlaybook(good, "pb.yaml");
    expect(r.ok && r.playbook).toEqual({
      name: "mini",
      description: "Two phases",
      workflow: "apply",
      phases: [
        { name: "prepare", description: "first" },
        { name: "corosync", description: "second" },
      ],
    });
  });

  it("locates a missing description and an unknown key, and suggests the known one", () => {
    const text = `name: mini
description: x
workflow: apply
phases:
  - name: prepare
  - name: corosync
    descripton: second
`;
    expect(problems(text)).toEqual([
      "pb.yaml:5:5  phases[0]: missing required key 'description'\n  hint: add 'description:' under phases[0] (see the Playbooks section of README.md)",
      "pb.yaml:6:5  phases[1]: missing required key 'description'\n  hint: add 'description:' under phases[1] (see the Playbooks section of README.md)",
      "pb.yaml:7:5  phases[1].descripton: unknown key 'descripton'\n  hint: did you mean 'description'? (known keys here: name, description, checkOnly)",
    ]);
  });

  it("names the allowed workflows and a bad phase name's format", () => {
    const text = `name: mini
description: x
workflow: aply
phases:
  - name: Prepare
    description: first
`;
    expect(problems(text)).toEqual([
      "pb.yaml:3:11  workflow: 'aply' is not one of: apply, destroy, fence-test\n  hint: did you mean 'apply'?",
      "pb.yaml:5:11  phases[0].name: 'Prepare' has the wrong format\n  hint: use lower-case letters, digits and '-', starting with a letter",
    ]);
  });

  it("refuses a phase listed twice, at the second one", () => {
    const text = good + "  - name: prepare\n    description: again\n";
    expect(problems(text)).toEqual(["pb.yaml:9:11  phases[2].name: phase 'prepare' is listed twice (first as phases[0])\n  hint: list each phase once, where it runs"]);
  });

  it("refuses a check-only phase after one that changes the cluster", () => {
    const text = good + "  - name: drbd\n    checkOnly: true\n    description: late check\n";
    expect(problems(text)).toEqual([
      "pb.yaml:10:5  phases[2].checkOnly: check-only phase 'drbd' comes after 'prepare', which changes the cluster\n  hint: list the check-only phases first: they are all checked before anything runs",
    ]);
  });

  it("refuses checkOnly outside apply playbooks", () => {
    const text = good.replace("workflow: apply", "workflow: destroy").replace("    description: first", "    checkOnly: true\n    description: first");
    expect(problems(text)).toEqual(["pb.yaml:6:5  phases[0].checkOnly: checkOnly belongs in apply playbooks, not in a destroy playbook\n  hint: remove checkOnly"]);
  });

  it("refuses a multi-line description and an empty phase list", () => {
    const text = `name: mini
description: |
  two
  lines
workflow: apply
phases: []
`;
    expect(problems(text)).toEqual([
      "pb.yaml:2:14  description: 'two\nlines\n' has the wrong format\n  hint: write it on one line",
      "pb.yaml:6:9  phases: needs at least 1 item(s)\n  hint: add phases entries",
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    expect(problems("name: [mini\n")).toEqual([expect.stringMatching(/^pb\.yaml:2:1 {2}\(root\): YAML syntax error: /)]);
  });
});

describe("loadPlaybook", () => {
  it("loads every shipped playbook", () => {
    expect(shippedPlaybooks()).toEqual(["destroy", "fence-test", "grow", "site"]);
    for (const name of shippedPlaybooks()) expect(loadPlaybook(name).name).toBe(name);
  });

  it("resolves a bare name with or without .yaml in the shipped directory", () => {
    expect(loadPlaybook("grow.yaml")).toEqual(loadPlaybook("grow"));
  });

  it("reads a path as a path, and names the file in its problems", () => {
    const dir = scratchDir("pb");
    writeFileSync(join(dir, "mine.yaml"), good.replace("name: mini", "name: 7mini"));
    const failure = thrown(() => loadPlaybook(join(dir, "mine.yaml")));
    expect(failure).toBeInstanceOf(SpecError);
    expect((failure as SpecError).message).toMatch(/mine\.yaml:1:7 {2}name: '7mini' has the wrong format/);
  });

  it("lists the shipped playbooks when a name is unknown", () => {
    const failure = thrown(() => loadPlaybook("gorw"));
    expect(failure).toBeInstanceOf(UsageError);
    expect((failure as UsageError).message).toBe("no playbook named gorw");
    expect((failure as UsageError).hint).toBe("name a shipped playbook (destroy, fence-test, grow, site) or give a path such as ./my-playbook.yaml");
  });
});
