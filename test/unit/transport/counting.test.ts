import { describe, expect, it } from "vitest";

import { costLines } from "../../../src/cli/ui/text.js";
import type { BatchCommand } from "../../../src/transport/batch.js";
import { CountingTransport } from "../../../src/transport/counting.js";
import { FakeTransport } from "../../../src/transport/fake.js";
import type { Argv } from "../../../src/transport/file-commands.js";

const timed = (ms: number) => () => ({ code: 0, stdout: "", stderr: "", ms });

describe("CountingTransport", () => {
  it("counts a batch as one remote execution and keeps the node's five slowest reads across batches", async () => {
    // GIVEN reads the node timed, over two batches
    const fake = new FakeTransport("node1");
    for (const [i, ms] of [120, 900, 15, 40, 2300, 610, 75].entries()) fake.on(["tool", String(i)], timed(ms));
    fake.on(["untimed"], () => ({ code: 0, stdout: "", stderr: "" }));
    const counting = new CountingTransport(fake);
    // WHEN both batches run
    const tool = (i: number): BatchCommand => ({ kind: "exec", argv: ["tool", String(i)] });
    await counting.batch([0, 1, 2, 3].map(tool));
    await counting.batch([...[4, 5, 6].map(tool), { kind: "exec", argv: ["untimed"] }]);
    // THEN two executions, and the slowest five in order, named as the commands read
    expect(counting.execs).toBe(2);
    expect(counting.slowest).toEqual([
      { read: "tool 4", ms: 2300 },
      { read: "tool 1", ms: 900 },
      { read: "tool 5", ms: 610 },
      { read: "tool 0", ms: 120 },
      { read: "tool 6", ms: 75 },
    ]);
  });

  it("names a read that is a whole program by its first line, shortened", async () => {
    const program: Argv = ["python3", "-c", "import sys\nprint(sys.argv)\n"];
    const fake = new FakeTransport("node1").on(program, timed(300));
    const counting = new CountingTransport(fake);
    await counting.batch([{ kind: "exec", argv: program }]);
    expect(counting.slowest).toEqual([{ read: "python3 -c 'import sys…", ms: 300 }]);
  });
});

describe("costLines (-v)", () => {
  it("prints executions, phases and each node's slowest reads in seconds", () => {
    const text = costLines({
      type: "run-end",
      counts: { ok: 3, changed: 0, change: 0, pending: 0, refused: 0, failed: 0, skipped: 0 },
      ms: 9000,
      execs: { node1: 1, node2: 1 },
      phases: { cluster: 4200 },
      slowest: { node1: [{ read: "crm_mon -1 --output-as=xml", ms: 1460 }], node2: [] },
    });
    expect(text).toBe("remote executions: node1 1, node2 1\nphases: cluster 4.2s\nslowest reads on node1: crm_mon -1 --output-as=xml 1.5s\n");
  });
});
