import type { Facts } from "../probes/facts.js";
import { signature } from "../probes/node.js";
import type { CheckEnv, CheckResult } from "./types.js";

/**
 * The data-safety line: refuse to write over a signature unless this device is forced.
 * undefined: the device is blank (or holds `expected`, or is forced) and the write may go on.
 */
export function guardDevice(f: Facts, env: CheckEnv, device: string, action: string, expected?: string): Extract<CheckResult, { status: "refuse" }> | undefined {
  const found = signature(f, device);
  if (found === "missing") return { status: "refuse", reason: `${device} does not exist on ${env.host}`, hint: "check the device path in the spec (ls -l /dev/disk/by-id/ on the node)" };
  if (found === undefined || found === expected || env.forced.has(device)) return undefined;
  return { status: "refuse", reason: `${device} on ${env.host} already holds ${found}; ${action} would destroy it`, hint: `move the data away, or pass --force-device ${device} to overwrite it on purpose` };
}

/**
 * A check's refusal that apply carries out. Refusals are check results, shown by `plan` and
 * judged again by the runner's last look before a destructive apply, so only one step throws
 * this: mkfs-gfs2, which must activate an inactive shared LV before any read can see its bytes
 * and then runs its own check again on what it sees (test/unit/steps/purity.test.ts holds it to that).
 */
export class RefusedError extends Error {
  constructor(readonly result: Extract<CheckResult, { status: "refuse" }>) {
    super(result.reason);
  }
}
