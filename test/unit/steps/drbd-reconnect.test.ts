import { describe, expect, it } from "vitest";

import { FakeTransport, ok } from "../../../src/transport/fake.js";
import type { Step } from "../../../src/plan/types.js";
import type { StepContext } from "../../../src/steps/types.js";
import { reader } from "../../../src/steps/util.js";
import { apply, check } from "./harness.js";

const step = {
  id: "node1/drbd/r0/up",
  host: "node1",
  kind: "drbd-up",
  params: { resource: "r0", commands: [["drbdadm", "up", "r0"]], reconnect: [["drbdadm", "adjust", "r0"]] },
  dependsOn: [],
  source: "drbd.resources[0]",
  phase: "drbd",
  title: "r0 up",
} as unknown as Step<"drbd-up">;

/** A node whose r0 is attached, in connection state `cstate` until `drbdadm adjust` connects it. */
function node(cstate: string): { t: FakeTransport; ctx: StepContext } {
  let state = cstate;
  const t = new FakeTransport("node1")
    .on(["drbdadm", "cstate", "r0"], () => ok(`${state}\n`))
    .on(["drbdadm", "dstate", "r0"], ok("UpToDate/DUnknown\n"))
    .on(["drbdadm", "adjust", "r0"], () => {
      state = "WFConnection";
      return ok();
    });
  const secrets = { get: () => Buffer.alloc(0), pending: () => false };
  return { t, ctx: { t, read: reader(t, secrets), secrets, forced: new Set(), scripts: {}, log: () => undefined, pollMs: 1 } };
}

describe("drbd-up on a StandAlone resource", () => {
  it("plans a reconnect, changes nothing while checking, and adjusts on apply", async () => {
    const { t, ctx } = node("StandAlone");
    expect(await check(step, ctx)).toEqual({ status: "change", reason: "reconnect r0 (StandAlone): drbdadm adjust" });
    expect(t.commandLines().some((l) => l.includes("adjust"))).toBe(false);
    await apply(step, ctx);
    expect(t.commandLines()).toContain("drbdadm adjust r0");
    expect(t.commandLines()).not.toContain("drbdadm up r0");
    expect(await check(step, ctx)).toEqual({ status: "ok" });
  });

  it("leaves a connecting or connected resource alone", async () => {
    for (const cstate of ["WFConnection", "Connected", "SyncSource"]) expect(await check(step, node(cstate).ctx), cstate).toEqual({ status: "ok" });
  });
});
