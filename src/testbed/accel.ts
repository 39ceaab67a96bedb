/**
 * Which QEMU accelerator the VMs use. `/dev/kvm` alone proves nothing: on hosts whose KVM
 * is PVM (no VT-x/AMD-V in the CPU flags) KVM_CREATE_VM succeeds but a stock Debian kernel
 * never boots. So KVM is used only when the CPU advertises vmx or svm AND /dev/kvm opens.
 */

import { open, readFile } from "node:fs/promises";
import { TestbedError } from "./errors.js";

export type Accel = "kvm" | "tcg";

export interface AccelChoice {
  accel: Accel;
  /** Why, for the log line: the override, or what the host lacks. */
  reason: string;
}

export const ACCEL_ENV = "GFSDEPLOY_TESTBED_ACCEL";

export function hasHardwareVirtualization(cpuinfo: string): boolean {
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);
}

export function chooseAccel(host: { cpuinfo: string; kvmOpenable: boolean; override?: string | undefined }): AccelChoice {
  const { cpuinfo, kvmOpenable, override } = host;
  if (override) {
    if (override !== "kvm" && override !== "tcg") {
      throw new TestbedError(`${ACCEL_ENV}=${override} is not an accelerator`, `set ${ACCEL_ENV} to kvm or tcg, or unset it to detect`);
    }
    return { accel: override, reason: `${ACCEL_ENV}=${override}` };
  }
  if (!hasHardwareVirtualization(cpuinfo)) return { accel: "tcg", reason: "no vmx/svm flag in /proc/cpuinfo" };
  if (!kvmOpenable) return { accel: "tcg", reason: "/dev/kvm cannot be opened" };
  return { accel: "kvm", reason: "vmx/svm present and /dev/kvm opens" };
}

async function kvmOpenable(): Promise<boolean> {
  try {
    const handle = await open("/dev/kvm", "r+");
    await handle.close();
    return true;
  } catch {
    return false;
  }
}

export async function detectAccel(env: NodeJS.ProcessEnv = process.env): Promise<AccelChoice> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  return chooseAccel({ cpuinfo, kvmOpenable: await kvmOpenable(), override: env[ACCEL_ENV] });
}
