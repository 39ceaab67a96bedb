import { readFileSync } from "node:fs";

import { healthyShape } from "../../../src/health/shape.js";
import { FakeTransport, ok } from "../../../src/transport/fake.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const recorded = (file: string) => readFileSync(new URL(`../../fixtures/debian12/health/${file}`, import.meta.url), "utf8");

/** What the converged test bed's node1 printed (test/fixtures/debian12/health). */
export const HEALTHY = {
  crmMon: recorded("crm_mon-healthy.xml"),
  dlm: recorded("dlm_tool-ls.txt"),
  tunegfs2: recorded("tunegfs2-l.txt"),
  journals: recorded("gfs2_edit-journals.txt"),
  mounts: recorded("findmnt-gfs2.txt"),
};

/** The test bed's spec as the health rule reads it: node1 and node2, r0, sbd-fence, gfstest:data on /srv/data. */
export const SHAPE = healthyShape(testbedSpec());

/**
 * A node of the converged test bed answering the health reads as it did when recorded; a
 * test changes one answer with `.on(...)` (the latest registration wins). Tools are asked
 * for by one `sh -c 'command -v ...'`: here every tool is present unless named in `missing`.
 */
export function healthyNode(name: string, missing: readonly string[] = []): FakeTransport {
  return new FakeTransport(name)
    .on(["crm_mon", "-1", "--output-as=xml"], ok(HEALTHY.crmMon))
    .on(["drbdadm", "role", "r0"], ok("Primary/Primary\n"))
    .on(["drbdadm", "dstate", "r0"], ok("UpToDate/UpToDate\n"))
    .on(["drbdadm", "cstate", "r0"], ok("Connected\n"))
    .on(["drbdadm", "sh-minor", "r0"], ok("0\n"))
    .on(["dlm_tool", "ls"], ok(HEALTHY.dlm))
    .on(["findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS"], ok(HEALTHY.mounts))
    .on(["tunegfs2", "-l", "/dev/vg_gfs/lv_data"], ok(HEALTHY.tunegfs2))
    .on(["gfs2_edit", "-p", "journals", "/dev/vg_gfs/lv_data"], ok(HEALTHY.journals))
    .on(
      (command, args) => command === "sh" && /command -v/.test(args[1] ?? ""),
      (call) => ok(call.args.slice(3).filter((tool) => missing.includes(tool)).map((tool) => `${tool}\n`).join("")),
    );
}
