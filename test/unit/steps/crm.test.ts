import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { isRole, parseCrmMon } from "../../../src/steps/crm.js";

/** crm_mon 2.1 XML for a cloned two-member group on node1, members in the given states. */
function lockingClone(dlm: string, lvmlockd: string): string {
  const member = (id: string, state: string) =>
    state === "Stopped"
      ? `<resource id="${id}" resource_agent="ocf:x:y" role="Stopped" active="false" orphaned="false" nodes_running_on="0"/>`
      : `<resource id="${id}" resource_agent="ocf:x:y" role="${state}" active="true" orphaned="false" nodes_running_on="1"><node name="node1" id="1" cached="true"/></resource>`;
  return `<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <summary><current_dc present="true" name="node1" with_quorum="true"/></summary>
  <nodes><node name="node1" id="1" online="true"/></nodes>
  <resources><clone id="locking-clone" multi_state="false" unique="false"><group id="locking:0" number_resources="2">${member("dlm", dlm)}${member("lvmlockd", lvmlockd)}</group></clone></resources>
</pacemaker-result>`;
}

describe("parseCrmMon", () => {
  it("counts a cloned group as Started on a node only when every member runs there", () => {
    expect(isRole(parseCrmMon(lockingClone("Started", "Started")).roles.get("locking-clone")?.get("node1"), "Started")).toBe(true);
    // A stopped member lists no node: the group must not look Started because dlm does.
    expect(isRole(parseCrmMon(lockingClone("Started", "Stopped")).roles.get("locking-clone")?.get("node1"), "Started")).toBe(false);
    expect(isRole(parseCrmMon(lockingClone("Started", "Starting")).roles.get("locking-clone")?.get("node1"), "Started")).toBe(false);
  });
});

describe("parseCrmMon on Pacemaker 3.0 (Debian 13)", () => {
  // Recorded on the trixie test bed after `gfsdeploy apply`: crm_mon 3.0.0, api-version 2.38.
  const state = parseCrmMon(readFileSync("test/fixtures/debian13/crm_mon-healthy.xml", "utf8"));

  it("reads DRBD Promoted, the locking and filesystem clones Started and the fence device Started on both nodes", () => {
    for (const node of ["node1", "node2"]) {
      expect(isRole(state.roles.get("drbd_r0-clone")?.get(node), "Promoted"), node).toBe(true);
      expect(isRole(state.roles.get("locking-clone")?.get(node), "Started"), node).toBe(true);
      expect(isRole(state.roles.get("data-group-clone")?.get(node), "Started"), node).toBe(true);
    }
    expect(isRole(state.roles.get("sbd-fence")?.get("node1"), "Started")).toBe(true);
  });
});
