import { rmSync } from "node:fs";

import { cachePaths, DEFAULT_TESTBED_DISTRO, TESTBED_DISTROS } from "../../src/testbed/paths.js";
import { down, up } from "../../src/testbed/vm.js";
import { TRANSCRIPT } from "./transcript.js";

/**
 * One test bed for all end-to-end files: fresh disks (the bring-up starts from blank
 * nodes) unless GFSDEPLOY_E2E_REUSE=1 keeps the running VMs for a quicker rerun of one
 * file; GFSDEPLOY_E2E_KEEP=1 leaves them running afterwards for a look.
 * GFSDEPLOY_E2E_DISTRO picks the guests' distribution (default debian12).
 */
export default async function setup(): Promise<() => Promise<void>> {
  rmSync(TRANSCRIPT, { force: true });
  const t0 = Date.now();
  const asked = process.env.GFSDEPLOY_E2E_DISTRO || DEFAULT_TESTBED_DISTRO;
  const distro = TESTBED_DISTROS.find((d) => d === asked);
  if (distro === undefined) throw new Error(`GFSDEPLOY_E2E_DISTRO=${asked} is not one of ${TESTBED_DISTROS.join(", ")}`);
  await up({ fresh: process.env.GFSDEPLOY_E2E_REUSE !== "1", paths: cachePaths(process.env, distro) });
  process.stderr.write(`[e2e] test bed (${distro}) up: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return async () => {
    if (process.env.GFSDEPLOY_E2E_KEEP !== "1") await down();
  };
}
