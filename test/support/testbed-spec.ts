import { loadSpec, withDetectedDistro } from "../../src/spec/load.js";
import type { Distro, Spec } from "../../src/spec/types.js";

export const TESTBED_SPEC = "inventories/testbed/cluster.yaml";

/**
 * The test bed's inventory, which says `distro: auto`, as it compiles once the guests have
 * said what they are (Debian 12 unless `distro` says otherwise).
 */
export function testbedSpec(distro: Distro = "debian12"): Spec {
  return withDetectedDistro(loadSpec(TESTBED_SPEC, { checkSecrets: false }), distro).spec;
}
