import { describe, expect, it } from "vitest";

import { InternalError } from "../../../src/errors.js";
import { resolveDevice } from "../../../src/spec/refs.js";
import { testbedSpec } from "../../support/testbed-spec.js";

describe("resolveDevice", () => {
  const spec = { ...testbedSpec(), cluster: { ...testbedSpec().cluster, distro: "debian12" as const } };
  const withR7 = { ...spec, drbd: { ...spec.drbd, resources: spec.drbd.resources.map((r) => ({ ...r, name: "r7", minor: 7 })) } };

  it("resolves a DRBD resource to its minor's device and an LV to its path", () => {
    expect(resolveDevice(withR7, "drbd/r7")).toEqual({ kind: "drbd", resource: "r7", minor: 7, path: "/dev/drbd7" });
    expect(resolveDevice(spec, "vg_gfs/lv_data")).toEqual({ kind: "lv", vg: "vg_gfs", lv: "lv_data", path: "/dev/vg_gfs/lv_data" });
  });

  it("never falls back to a default device for a resource the spec does not define", () => {
    expect(() => resolveDevice(withR7, "drbd/r0")).toThrow(InternalError);
    expect(() => resolveDevice(spec, "lv_data")).toThrow(InternalError);
  });
});
