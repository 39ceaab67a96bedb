import { describe, expect, it } from "vitest";

import { runCli } from "../../support/cli.js";

/**
 * `gfsdeploy run` up to the point where it would contact nodes: choosing the playbook and
 * refusing what it cannot do. (The live paths are those of apply, and the fence-test's own
 * tests.)
 */
const spec = "test/fixtures/specs/debian12-lvmlockd/cluster.yaml";

describe("gfsdeploy run", () => {
  it("names the shipped playbooks when the name is unknown", async () => {
    const r = await runCli("run", "gorw", spec);
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: no playbook named gorw\nhint: name a shipped playbook (destroy, fence-test, grow, site) or give a path such as ./my-playbook.yaml\n");
  });

  it("runs a destroy playbook like destroy: --wipe with a wrong cluster name stops before contacting anything", async () => {
    const r = await runCli("run", "destroy", spec, "--wipe", "--confirm", "not-this-one", "--yes");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --confirm 'not-this-one' is not this spec's cluster name; nothing was contacted or changed\n/);
  });

  it("refuses --wipe outside a destroy playbook", async () => {
    const r = await runCli("run", "grow", spec, "--wipe", "--yes");
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: --wipe and --confirm are for destroy playbooks, not for grow (workflow: apply)\nhint: leave them out\n");
  });

  it("refuses --target outside a fence-test", async () => {
    const r = await runCli("run", "grow", spec, "--target", "node1", "--yes");
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: --target is for fence-test playbooks, not for grow (workflow: apply)\nhint: leave --target out\n");
  });

  it("asks before an apply playbook changes anything, and refuses without a terminal to ask on", async () => {
    const isTTY = Object.getOwnPropertyDescriptor(process.stdin, "isTTY");
    Object.defineProperty(process.stdin, "isTTY", { value: undefined, configurable: true });
    try {
      const r = await runCli("run", "grow", spec);
      expect(r).toEqual({ code: 2, out: "", err: "error: run grow needs confirmation and there is no terminal to ask\nhint: run `gfsdeploy run grow` on a terminal to review, or pass --yes\n" });
    } finally {
      if (isTTY) Object.defineProperty(process.stdin, "isTTY", isTTY);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
  });
});
