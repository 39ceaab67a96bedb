/**
 * The fence-test workflow on fake transports over a small model of a two-node cluster:
 * fencing node2 takes it offline and blocks GFS2 writes on node1 until DLM recovery; time is
 * a logical clock that each poll's sleep moves on, and the world changes as it does.
 */
import { describe, expect, it } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { ConnectionError, PlanError } from "../../../src/errors.js";
import { fenceTest, fenceTestOrder, formatPhaseTable, type FenceTestOptions } from "../../../src/fence-test/run.js";
import type { Playbook } from "../../../src/playbook/types.js";
import { exitWith, FakeTransport, ok } from "../../../src/transport/fake.js";
import type { Transport } from "../../../src/transport/types.js";

const playbook = loadPlaybook("fence-test");
const nodes = ["node1", "node2"];

interface NodeModel {
  up: boolean;
  role: string;
  disk: string;
  connection: string;
  mounted: boolean;
}

/** Two healthy dual-primary nodes with /mnt/data mounted, and what happens to them over time. */
class ClusterModel {
  readonly nodes = new Map<string, NodeModel>(nodes.map((n) => [n, { up: true, role: "Primary/Primary", disk: "UpToDate/UpToDate", connection: "Connected", mounted: true }]));
  /** Seconds on the logical clock. */
  clock = 0;
  fencedAt: number | undefined;
  /** Seconds after the fence until the survivor's DLM has recovered and writes go through. */
  recoverAfter = 10;
  /** Seconds after the fence until the fenced node is back, synced and mounted; Infinity = never. */
  rejoinAfter = 60;
  fenceExit = 0;
  connects = 0;

  node(name: string): NodeModel {
    return this.nodes.get(name) as NodeModel;
  }

  /** The world after `seconds` more have passed. */
  advance(seconds: number): void {
    this.clock += seconds;
    if (this.fencedAt === undefined) return;
    if (this.clock - this.fencedAt >= this.rejoinAfter) {
      for (const n of this.nodes.values()) Object.assign(n, { up: true, role: "Primary/Primary", disk: "UpToDate/UpToDate", connection: "Connected", mounted: true });
    }
  }

  private crmMon(): string {
    const online = nodes.map((n) => `<node name="${n}" online="${String(this.node(n).up)}"/>`).join("");
    return `<pacemaker-result><summary><current_dc present="true" with_quorum="true"/></summary><nodes>${online}</nodes></pacemaker-result>`;
  }

  /** A fresh connection to `host`: every command fails once the host is down. */
  transport(host: string): FakeTransport {
    const t = new FakeTransport(host);
    const alive = () => {
      if (!this.node(host).up) throw new ConnectionError(`${host}: connection lost`, "check the node");
    };
    const field = (k: "role" | "disk" | "connection") => () => (alive(), ok(this.node(host)[k]));
    t.on(["crm_mon", "-1", "--output-as=xml"], () => (alive(), ok(this.crmMon())));
    t.on(["drbdadm", "role", "r0"], field("role"));
    t.on(["drbdadm", "dstate", "r0"], field("disk"));
    t.on(["drbdadm", "cstate", "r0"], field("connection"));
    t.on(["dlm_tool", "ls"], () => (alive(), ok("name data\nmembers 1 2\n")));
    t.on(["findmnt", "-n", "-P", "-t", "gfs2", "-o", "TARGET,OPTIONS"], () => (alive(), this.node(host).mounted ? ok('TARGET="/mnt/data" OPTIONS="rw,noatime"\n') : exitWith(1)));
    t.on(["tunegfs2", "-l", "/dev/vg_data/lv_data"], () => (alive(), ok("Lock protocol: lock_dlm\nLock table: lab:data\n")));
    t.on(["gfs2_edit", "-p", "journals", "/dev/vg_data/lv_data"], () => (alive(), ok("journal0: 0x12    32MB clean.\njournal1: 0x2027  32MB clean.\n")));
    t.on(["pcs", "stonith", "fence", "node2"], () => {
      alive();
      if (this.fenceExit !== 0) return exitWith(this.fenceExit, "Error: unable to fence 'node2'\n");
      this.fencedAt = this.clock;
      Object.assign(this.node("node2"), { up: false, mounted: false });
      Object.assign(this.node("node1"), { role: "Primary/Unknown", disk: "UpToDate/DUnknown", connection: "WFConnection" });
      return ok();
    });
    t.on((cmd) => cmd === "dd", () => {
      alive();
      const recovered = this.fencedAt === undefined || this.clock - this.fencedAt >= this.recoverAfter;
      return recovered ? ok() : exitWith(124, "", "");
    });
    t.on((cmd, args) => cmd === "rm" && args[0] === "-f", () => (alive(), ok()));
    return t;
  }
}

interface Run {
  model: ClusterModel;
  transports: Map<string, FakeTransport>;
  verifiedWith: Transport[][];
  options: FenceTestOptions;
}

function setUp(edit: (m: ClusterModel) => void = () => undefined, overrides: Partial<FenceTestOptions> = {}): Run {
  const model = new ClusterModel();
  edit(model);
  const transports = new Map(nodes.map((n) => [n, model.transport(n)]));
  const verifiedWith: Transport[][] = [];
  const options: FenceTestOptions = {
    playbook,
    healthy: { nodes, resources: ["r0"], fenceDevices: [], filesystems: [{ mountpoint: "/mnt/data", device: "/dev/vg_data/lv_data", lockTable: "lab:data", lockspace: "data", options: ["noatime"] }] },
    target: "node2",
    transports,
    connect: (node) => {
      model.connects++;
      return model.transport(node);
    },
    verify: (current) => {
      verifiedWith.push([...current.values()]);
      return Promise.resolve([]);
    },
    runId: "abc123",
    now: () => model.clock * 1000,
    sleep: (ms) => {
      model.advance(ms / 1000);
      return Promise.resolve();
    },
    pollMs: 5000,
    timeoutMs: 120_000,
    ...overrides,
  };
  return { model, transports, verifiedWith, options };
}

const fenceCalls = (run: Run) => [...run.transports.values()].flatMap((t) => t.commandLines().filter((l) => l.startsWith("pcs stonith fence")));

describe("fenceTest", () => {
  it("fences the target from the survivor, times recovery and rejoin, then verifies", async () => {
    const run = setUp();
    const results = await fenceTest(run.options);
    expect(results.map((r) => [r.phase, r.outcome, r.seconds])).toEqual([
      ["health", "ok", 0],
      ["fence", "ok", 0],
      ["recover-survivor", "ok", 10],
      ["rejoin", "ok", 50],
      ["verify", "ok", 0],
    ]);
    expect(run.transports.get("node1")?.commandLines()).toContain("pcs stonith fence node2");
    expect(run.transports.get("node2")?.commandLines()).not.toContain("pcs stonith fence node2");
    // The write that proves recovery is fsynced on the mount, and removed again.
    expect(run.transports.get("node1")?.commandLines()).toEqual(expect.arrayContaining(["dd if=/dev/zero of=/mnt/data/.gfsdeploy-fence-test-abc123 bs=4096 count=1 conv=fsync", "rm -f /mnt/data/.gfsdeploy-fence-test-abc123"]));
    // verify ran over the survivor's connection and a fresh one to the rejoined node.
    expect(run.verifiedWith).toHaveLength(1);
    expect(run.verifiedWith[0]?.[0]).toBe(run.transports.get("node1"));
    expect(run.verifiedWith[0]?.[1]).not.toBe(run.transports.get("node2"));
    expect(run.model.connects).toBeGreaterThan(1);
  });

  it("refuses to fence when the cluster is not healthy, and skips the rest", async () => {
    const run = setUp((m) => Object.assign(m.node("node2"), { role: "Secondary/Primary", disk: "Inconsistent/UpToDate", connection: "SyncTarget" }));
    const results = await fenceTest(run.options);
    expect(results.map((r) => r.outcome)).toEqual(["refused", "skipped", "skipped", "skipped", "skipped"]);
    expect(results[0]?.detail).toBe(
      "not fencing an unhealthy cluster: node2: DRBD r0 is SyncTarget, not Connected (a resync is running); node2: DRBD r0 is Secondary/Primary, not Primary; node2: DRBD r0 disks are Inconsistent/UpToDate, not UpToDate/UpToDate",
    );
    expect(fenceCalls(run)).toEqual([]);
  });

  it("refuses to fence when a node is unreachable", async () => {
    const run = setUp((m) => (m.node("node1").mounted = false));
    run.options.transports = new Map([["node1", run.transports.get("node1") as FakeTransport]]);
    const results = await fenceTest(run.options);
    expect(results[0]).toMatchObject({ outcome: "refused", detail: "not fencing an unhealthy cluster: node1: /mnt/data is not a mounted GFS2 filesystem; node2: not connected" });
    expect(fenceCalls(run)).toEqual([]);
  });

  it("stops when the fence command fails", async () => {
    const run = setUp((m) => (m.fenceExit = 1));
    const results = await fenceTest(run.options);
    expect(results.map((r) => r.outcome)).toEqual(["ok", "failed", "skipped", "skipped", "skipped"]);
    expect(results[1]?.detail).toBe("pcs stonith fence node2 exited 1: Error: unable to fence 'node2'");
    expect(run.verifiedWith).toEqual([]);
  });

  it("fails rejoin with what it last saw when the node does not come back in time", async () => {
    const run = setUp((m) => (m.rejoinAfter = Infinity), { timeoutMs: 30_000 });
    const results = await fenceTest(run.options);
    expect(results.map((r) => [r.phase, r.outcome])).toEqual([
      ["health", "ok"],
      ["fence", "ok"],
      ["recover-survivor", "ok"],
      ["rejoin", "failed"],
      ["verify", "skipped"],
    ]);
    expect(results[3]?.seconds).toBe(30);
    expect(results[3]?.detail).toBe("node2 back in the cluster not reached within 30s; last seen: node2 unreachable (node2: connection lost)");
  });

  it("fails verify when the apply plan's checks find differences", async () => {
    const run = setUp(undefined, { verify: () => Promise.resolve(["cluster/cib/base change (resource stopped)"]) });
    const results = await fenceTest(run.options);
    expect(results.at(-1)).toMatchObject({ phase: "verify", outcome: "failed", detail: "1 step(s) differ from the spec: cluster/cib/base change (resource stopped)" });
  });

  it("runs the phases in the playbook's order, only those it lists", async () => {
    const healthOnly: Playbook = { ...playbook, phases: playbook.phases.filter((p) => p.name === "health") };
    const run = setUp(undefined, { playbook: healthOnly });
    expect((await fenceTest(run.options)).map((r) => r.phase)).toEqual(["health"]);
    expect(fenceCalls(run)).toEqual([]);
  });
});

describe("fenceTestOrder", () => {
  it("takes the shipped playbook's phases in order", () => {
    expect(fenceTestOrder(playbook)).toEqual(["health", "fence", "recover-survivor", "rejoin", "verify"]);
  });

  it("refuses a phase it has no implementation for", () => {
    const extra: Playbook = { ...playbook, phases: [...playbook.phases, { name: "reboot-all", description: "x" }] };
    expect(() => fenceTestOrder(extra)).toThrow(new PlanError("playbook fence-test lists phase(s) reboot-all, which a fence-test does not have", "a fence-test's phases are health, fence, recover-survivor, rejoin, verify"));
  });

  it("refuses to fence without a health check before it", () => {
    const reordered: Playbook = { ...playbook, phases: [...playbook.phases].reverse() };
    expect(() => fenceTestOrder(reordered)).toThrow("playbook fence-test fences without a health check before it");
  });
});

describe("formatPhaseTable", () => {
  it("lines up phase, outcome and seconds, then the detail", () => {
    expect(
      formatPhaseTable([
        { phase: "health", outcome: "ok", seconds: 0.42, detail: "2 nodes" },
        { phase: "recover-survivor", outcome: "failed", seconds: 123.45, detail: "timed out" },
      ]),
    ).toBe("PHASE             OUTCOME  SECONDS  DETAIL\nhealth            ok       0.4      2 nodes\nrecover-survivor  failed   123.5    timed out\n");
  });
});
