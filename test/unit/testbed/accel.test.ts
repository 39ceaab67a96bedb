import { describe, expect, it } from "vitest";
import { TestbedError } from "../../../src/testbed/errors.js";
import { chooseAccel, hasHardwareVirtualization } from "../../../src/testbed/accel.js";

const cpuinfo = (flags: string): string =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)\nflags\t\t: ${flags}\nbugs\t\t: spectre_v1\n`;

// A PVM host: /dev/kvm exists and opens, but the CPU has no VT-x.
const PVM_FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge hypervisor lahf_lm abm";

describe("chooseAccel", () => {
  it("uses TCG when the CPU lacks vmx/svm even though /dev/kvm opens", () => {
    expect(chooseAccel({ cpuinfo: cpuinfo(PVM_FLAGS), kvmOpenable: true }).accel).toBe("tcg");
  });

  it("uses KVM only when vmx or svm is present and /dev/kvm opens", () => {
    expect(chooseAccel({ cpuinfo: cpuinfo(`${PVM_FLAGS} vmx ept`), kvmOpenable: true }).accel).toBe("kvm");
    expect(chooseAccel({ cpuinfo: cpuinfo(`${PVM_FLAGS} svm npt`), kvmOpenable: true }).accel).toBe("kvm");
    expect(chooseAccel({ cpuinfo: cpuinfo(`${PVM_FLAGS} vmx`), kvmOpenable: false }).accel).toBe("tcg");
  });

  it("does not mistake a flag that merely contains vmx for vmx", () => {
    expect(hasHardwareVirtualization(cpuinfo(`${PVM_FLAGS} vmx_foo svmx`))).toBe(false);
    expect(hasHardwareVirtualization("model name\t: vmx svm\n")).toBe(false);
  });

  it("follows the override in either direction", () => {
    expect(chooseAccel({ cpuinfo: cpuinfo(PVM_FLAGS), kvmOpenable: false, override: "kvm" }).accel).toBe("kvm");
    expect(chooseAccel({ cpuinfo: cpuinfo(`${PVM_FLAGS} vmx`), kvmOpenable: true, override: "tcg" }).accel).toBe("tcg");
  });

  it("rejects an unknown override", () => {
    expect(() => chooseAccel({ cpuinfo: "", kvmOpenable: true, override: "hvf" })).toThrow(TestbedError);
  });
});
