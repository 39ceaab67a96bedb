import { describe, expect, it } from "vitest";

import { InternalError } from "../../../src/errors.js";
import { perNode } from "../../../src/plan/components/handles.js";
import type { NodeSpec } from "../../../src/spec/types.js";
import { testbedSpec } from "../../support/testbed-spec.js";

describe("handles", () => {
  const [node1, node2] = testbedSpec().nodes as [NodeSpec, NodeSpec];

  it("are made in node order and found by node", () => {
    const made: string[] = [];
    const handles = perNode([node1, node2], (n, i) => {
      made.push(n.name);
      return `${n.name}#${i}`;
    });
    expect(made).toEqual(["node1", "node2"]);
    expect([handles.of(node2), handles.of(node1)]).toEqual(["node2#1", "node1#0"]);
    expect(handles.map((h) => h.toUpperCase()).all()).toEqual(["NODE1#0", "NODE2#1"]);
  });

  it("refuse a node none was made for instead of giving a default", () => {
    const handles = perNode([node1], () => 0);
    expect(() => handles.of(node2)).toThrow(new InternalError("nothing was compiled for node node2", "this is a gfsdeploy bug: please report it with your spec"));
  });
});
