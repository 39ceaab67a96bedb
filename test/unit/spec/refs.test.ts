import { describe, expect, it } from "vitest";

import { InternalError } from "../../../src/errors.js";
import { resolveDevice, resolveSpec } from "../../../src/spec/refs.js";
import type { NodeSpec } from "../../../src/spec/types.js";
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

  it("refuses an LV or VG the spec does not define", () => {
    expect(() => resolveDevice(spec, "vg_gfs/lv_other")).toThrow(InternalError);
    expect(() => resolveDevice(spec, "vg_other/lv_data")).toThrow(InternalError);
  });
});

describe("resolveSpec", () => {
  const spec = { ...testbedSpec(), cluster: { ...testbedSpec().cluster, distro: "debian12" as const } };
  const [node1, node2] = spec.nodes as [NodeSpec, NodeSpec];

  it("gives every resource, VG, LV and filesystem what it names and where it sits in the spec", () => {
    const { refs } = resolveSpec(spec);
    expect(refs.resources.map((r) => [r.source, r.device.path, r.diskOn(node1), r.diskOn(node2)])).toEqual([["drbd.resources[0]", "/dev/drbd0", "/dev/disk/by-id/virtio-drbd", "/dev/disk/by-id/virtio-drbd"]]);
    expect(refs.volumeGroups.map((vg) => [vg.source, vg.pvs.map((pv) => pv.path), vg.logicalVolumes.map((lv) => [lv.source, lv.device.path])])).toEqual([
      ["lvm.volumeGroups[0]", ["/dev/drbd0"], [["lvm.volumeGroups[0].logicalVolumes[0]", "/dev/vg_gfs/lv_data"]]],
    ]);
    expect(refs.filesystems.map((fs) => [fs.source, fs.device])).toEqual([["filesystems[0]", { kind: "lv", vg: "vg_gfs", lv: "lv_data", path: "/dev/vg_gfs/lv_data" }]]);
  });

  it("takes a node's own backing disk over the common one", () => {
    const perNode = { ...spec, drbd: { ...spec.drbd, resources: spec.drbd.resources.map((r) => ({ ...r, disks: { node2: "/dev/vdc" } })) } };
    const [r0] = resolveSpec(perNode).refs.resources;
    expect([r0?.diskOn(node1), r0?.diskOn(node2)]).toEqual(["/dev/disk/by-id/virtio-drbd", "/dev/vdc"]);
  });

  it("refuses what the rules should have: a node without a backing disk, a PV that is not DRBD", () => {
    const noDisk = { ...spec, drbd: { ...spec.drbd, resources: spec.drbd.resources.map(({ disk: _, ...r }) => ({ ...r, disks: { node1: "/dev/vdb" } })) } };
    expect(() => resolveSpec(noDisk)).toThrow(new InternalError("DRBD resource 'r0' has no backing disk on node2, past the rules that should have refused it", "this is a gfsdeploy bug: please report it with your spec"));
    const lvAsPv = { ...spec, lvm: { ...spec.lvm, volumeGroups: [...spec.lvm.volumeGroups, { name: "vg_nested", pvs: ["vg_gfs/lv_data"], logicalVolumes: [] }] } };
    expect(() => resolveSpec(lvAsPv)).toThrow(InternalError);
  });
});
