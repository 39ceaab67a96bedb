import { rmSync } from "node:fs";

import { down, up } from "../../src/testbed/vm.js";
import { TRANSCRIPT } from "./transcript.js";

/**
 * One test bed for all end-to-end files: fresh disks (the bring-up starts from blank
 * nodes) unless GFSDEPLOY_E2E_REUSE=1 keeps the running VMs for a quicker rerun of one
 * file; GFSDEPLOY_E2E_KEEP=1 leaves them running afterwards for a look.
 */
export default async function setup(): Promise<() => Promise<void>> {
  rmSync(TRANSCRIPT, { force: true });
  const t0 = Date.now();
  await up({ fresh: process.env.GFSDEPLOY_E2E_REUSE !== "1" });
  process.stderr.write(`[e2e] test bed up: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return async () => {
    if (process.env.GFSDEPLOY_E2E_KEEP !== "1") await down();
  };
}
