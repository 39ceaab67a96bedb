/**
 * Secrets travel only on stdin and in file bodies: argv is visible to every user of a node
 * (ps, /proc/PID/cmdline) and ends up in logs and error messages.
 */

import { describe, expect, it } from "vitest";

import { RemoteCommandError } from "../../../src/errors.js";
import type { AnyStep } from "../../../src/plan/types.js";
import { exitWith } from "../../../src/transport/fake.js";
import { allArguments, apply, check, contextFor, lvmlockdPlan, preparedNode, readOnlyCheck, secretStore, AUTHKEY, HACLUSTER_PASSWORD, IPMI_PASSWORDS } from "./harness.js";
import { NodeSim } from "./node-sim.js";

/** Every way a secret could show up in a string: as text, and the authkey's bytes in common encodings. */
const NEEDLES = [HACLUSTER_PASSWORD, ...IPMI_PASSWORDS, AUTHKEY.toString("latin1"), AUTHKEY.toString("hex"), AUTHKEY.toString("base64"), AUTHKEY.subarray(0, 32).toString("hex")];

const containsSecret = (text: string) => NEEDLES.some((n) => text.includes(n));

/** The plan's steps that handle a secret, each on a node where it has work to do. */
const secretSteps = lvmlockdPlan.steps.filter((s) => s.kind === "hacluster-password" || s.kind === "pcs-auth" || s.kind === "secret-file");

function nodeFor(step: AnyStep): NodeSim {
  if (step.kind === "hacluster-password") return new NodeSim(step.host).install("pacemaker");
  return preparedNode(step.host);
}

describe("secrets", () => {
  it("the plan has the secret steps this test expects", () => {
    expect(secretSteps.map((s) => s.kind).sort()).toEqual(["hacluster-password", "hacluster-password", "pcs-auth", "secret-file", "secret-file", "secret-file", "secret-file", "secret-file", "secret-file"]);
  });

  it("never appear in argv, logs or check results; only in stdin and written file bodies", async () => {
    const sims: NodeSim[] = [];
    const seen: string[] = [];
    for (const step of secretSteps) {
      const sim = nodeFor(step);
      sims.push(sim);
      const ctx = contextFor(sim);
      seen.push(JSON.stringify(await readOnlyCheck(sim, step, ctx)));
      await apply(step, ctx);
      seen.push(JSON.stringify(await check(step, ctx)), ...ctx.logs);
      expect(sim.unknown).toEqual([]);
    }

    const argv = sims.flatMap(allArguments);
    expect(argv.filter(containsSecret)).toEqual([]);
    expect(seen.filter(containsSecret)).toEqual([]);

    // The secrets did reach the nodes, through the channels meant for them.
    const stdins = sims.flatMap((s) => s.t.calls.flatMap((c) => (c.kind === "exec" && c.options.stdin !== undefined ? [c.options.stdin.toString()] : [])));
    expect(stdins.filter((i) => i.includes(HACLUSTER_PASSWORD)).length).toBeGreaterThanOrEqual(3);
    const bodies = sims.flatMap((s) => s.t.calls.flatMap((c) => (c.kind === "writeFile" ? [c.body] : [])));
    expect(bodies.some((b) => b.equals(AUTHKEY))).toBe(true);
    expect(bodies.map((b) => b.toString()).filter((b) => (IPMI_PASSWORDS as readonly string[]).includes(b))).toHaveLength(4);
  });

  it("compares the authkey by its digest, never by reading it back", async () => {
    const sim = preparedNode("node1");
    sim.t.setFile("/etc/corosync/authkey", AUTHKEY, { mode: 0o400 });
    const step = lvmlockdPlan.steps.find((s) => s.id === "node1/corosync/authkey") as AnyStep;
    expect(await readOnlyCheck(sim, step, contextFor(sim))).toEqual({ status: "ok" });
    expect(sim.t.calls.filter((c) => c.kind === "readFile")).toEqual([]);
  });

  it("a pending authkey (plan before the key exists) is a change, decided without changing the node", async () => {
    const sim = preparedNode("node1");
    const step = lvmlockdPlan.steps.find((s) => s.id === "node1/corosync/authkey") as AnyStep;
    expect(await check(step, contextFor(sim, { secrets: secretStore({ pendingAuthkey: true }) }))).toEqual({ status: "change", reason: "/etc/corosync/authkey (key generated locally first)" });
    expect(sim.mutations).toEqual([]);
    expect(sim.t.calls.filter((c) => c.kind === "writeFile")).toEqual([]);
  });

  it("a command that echoes its stdin in an error does not carry the password into the message", async () => {
    // GIVEN chpasswd failing and repeating the line it read, as some PAM setups do
    const sim = new NodeSim("node1").install("pacemaker");
    sim.t.on(["chpasswd"], exitWith(1, `chpasswd: (line 1, user hacluster) password not changed: hacluster:${HACLUSTER_PASSWORD}\n`));
    const step = lvmlockdPlan.steps.find((s) => s.id === "node1/hacluster-password") as AnyStep;
    // WHEN apply runs
    const error: unknown = await apply(step, contextFor(sim)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // THEN the error names the command, not the password
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((error as Error).message).toContain("chpasswd");
    expect(containsSecret((error as Error).message)).toBe(false);
  });
});
