import { UnhealthyError } from "../errors.js";
import { nodeReading, nodeReads, readingProblems } from "../health/read.js";
import { healthyShape, type HealthyShape } from "../health/shape.js";
import { drbdUnder } from "../plan/cib.js";
import { gather } from "../probes/facts.js";
import { stackVersions, versionsReads, type StackVersions } from "../probes/node.js";
import { backingDisk, pythonFor } from "../spec/defaults.js";
import { shipScript } from "../steps/scripts.js";
import type { ConcreteSpec, FilesystemSpec, NodeSpec } from "../spec/types.js";
import { mustExec } from "../transport/errors.js";
import type { ExecResult, Transport } from "../transport/types.js";
import { parseFio, parseIperf3, parsePingPong, parsePingRtts, percentiles } from "./parse.js";
import { ratios } from "./report.js";
import type { BenchReport, Figure, FioSummary } from "./types.js";
import { combine, fioArgs, layoutArgs, WORKLOADS, workloadFigures, type Scenario, type WorkloadName } from "./workloads.js";

export interface BenchOptions {
  spec: ConcreteSpec;
  fs: FilesystemSpec;
  /** Node A and node B: the first two nodes of the spec. */
  nodes: [NodeSpec, NodeSpec];
  /** The reachable nodes' connections; a node missing here is in `unreachable`. */
  transports: ReadonlyMap<string, Transport>;
  /** Nodes SSH could not reach, with why: the health gate reports them and refuses. */
  unreachable: ReadonlyMap<string, string>;
  scripts: Readonly<Record<string, string>>;
  /** Seconds each measured fio job (and ping_pong, iperf3) runs. */
  seconds: number;
  /** Unique per run: names the bench's own directory and scratch areas. */
  runId: string;
  now: () => Date;
}

/** One step of the benchmark, for the progress display. */
export interface BenchPhase {
  title: string;
  run: () => Promise<void>;
}

export interface BenchRun {
  phases: BenchPhase[];
  /** Removes everything the bench made on every node; safe to call at any time, twice. */
  cleanup: () => Promise<void>;
  report: () => BenchReport;
}

const SCRATCH_DIR = "/var/lib/gfsdeploy/bench";
const IPERF_PORT = "5201";
/** Room each fio job gets beyond its run time before it counts as hung (slow guests lay files out slowly). */
const SLACK_MS = 300_000;

/**
 * The benchmark as a list of phases over two nodes. Everything it writes is inside its own
 * directory on the GFS2 mount and a scratch file (and, when the VG has room, a scratch LV)
 * it creates; user data and devices holding data are only ever read.
 */
export function benchRun(o: BenchOptions): BenchRun {
  const [nodeA, nodeB] = o.nodes;
  const a = transport(o, nodeA);
  const b = transport(o, nodeB);
  const dir = `${o.fs.mountpoint.replace(/\/$/, "")}/.gfsdeploy-bench-${o.runId}`;
  const scratchFile = `${SCRATCH_DIR}/scratch-${o.runId}.dat`;
  const [vg] = o.fs.device.split("/") as [string, string];
  const onLvm = vg !== "drbd";
  const scratchLv = `gfsdeploy_bench_${o.runId.slice(0, 8)}`;
  const resources = drbdUnder(o.spec, o.fs);
  const figures: Figure[] = [];
  const checks: BenchReport["checks"] = [];
  const versions: Record<string, StackVersions> = {};
  const startedAt = o.now();
  let helper = "";
  let fileMib = 256;
  let scratchLvMade = false;
  const add = (f: Figure) => figures.push(f);

  const python = pythonFor(o.spec.cluster.distro);
  const py = (t: Transport, args: string[], timeoutMs: number) => mustExec(t, python, [helper, ...args], { timeoutMs });
  const fio = async (t: Transport, args: string[], seconds: number): Promise<FioSummary> => {
    const r = await mustExec(t, "fio", args, { timeoutMs: seconds * 1000 + SLACK_MS });
    return parseFio(r.stdout.slice(r.stdout.indexOf("{")));
  };
  const measured = (name: string, file: string, workload: WorkloadName) => fioArgs(name, file, fileMib, o.seconds, WORKLOADS[workload].options);

  const health: BenchPhase = {
    title: "health gate: DRBD, quorum, fencing, DLM, mount, lock table, journals",
    run: async () => {
      Object.assign(versions, await healthGate(o));
      // The name carries the content hash, so it is the same path on every node.
      const paths = await Promise.all(o.nodes.map((n) => shipScript({ t: transport(o, n), scripts: o.scripts }, "bench_node.py")));
      helper = paths[0] ?? "";
      const avail = await mustExec(a, "df", ["--output=avail", "-k", o.fs.mountpoint]);
      const freeMib = Math.floor(Number(/\d+/.exec(avail.stdout.split("\n")[1] ?? "")?.[0] ?? "0") / 1024);
      // Three files (A's, B's, the shared one) with room to spare.
      fileMib = Math.max(32, Math.min(256, Math.floor(freeMib / 8)));
      if (freeMib < 3 * 32 * 2) throw new UnhealthyError(`${o.fs.mountpoint} has only ${freeMib} MiB free`, "the bench needs about 200 MiB; free some space or grow the filesystem");
      await mustExec(a, "mkdir", ["-m", "0700", dir]);
    },
  };

  const link: BenchPhase = {
    title: `replication link ${nodeA.ring0} → ${nodeB.ring0}: TCP stream and round-trip time`,
    run: async () => {
      const server = await b.hold("timeout", [String(o.seconds + 120), "iperf3", "--server", "--one-off", "--forceflush", "--bind", nodeB.ring0, "--port", IPERF_PORT], { readyPattern: /Server listening/, timeoutMs: 60_000 });
      if (!server.ready) throw new Error(`${nodeB.name}: iperf3 server did not start (exit ${server.code}): ${server.output.trim()}`);
      try {
        const client = await a.exec("iperf3", ["--client", nodeB.ring0, "--bind", nodeA.ring0, "--port", IPERF_PORT, "--time", String(o.seconds), "--json"], { timeoutMs: o.seconds * 1000 + SLACK_MS });
        add({ key: "link.tcp", label: "replication link, one TCP stream", value: parseIperf3(client.stdout).mibs, unit: "MiB/s", source: `${nodeA.ring0} → ${nodeB.ring0}` });
      } finally {
        await server.release();
      }
      const ping = await mustExec(a, "ping", ["-n", "-c", "200", "-i", "0.01", "-I", nodeA.ring0, nodeB.ring0], { timeoutMs: SLACK_MS });
      const rtt = percentiles(parsePingRtts(ping.stdout));
      add({ key: "link.rtt_p50", label: "replication link round trip, p50", value: rtt.p50, unit: "us", source: "ping, 200 packets" });
      add({ key: "link.rtt_p99", label: "replication link round trip, p99", value: rtt.p99, unit: "us", source: "ping, 200 packets" });
    },
  };

  const raw: BenchPhase = {
    title: "raw baselines: backing device read (read-only), scratch write",
    run: async () => {
      const disk = resources[0] === undefined ? undefined : backingDisk(o.spec, resources[0], nodeA.name);
      if (disk) {
        // --readonly makes fio refuse any write: this device holds the cluster's data.
        const s = await fio(a, [...fioArgs("raw_read", disk, fileMib, o.seconds, WORKLOADS.seq_read.options), "--readonly"], o.seconds);
        add({ key: "raw.read", label: "backing device sequential 1 MiB read", value: s.readMibs, unit: "MiB/s", source: `${nodeA.name}:${disk} (read-only)` });
      }
      await mustExec(a, "mkdir", ["-p", SCRATCH_DIR]);
      await fio(a, layoutArgs(scratchFile, fileMib), 0);
      const source = `${nodeA.name}:${scratchFile} (a scratch file on the node's root filesystem, not the DRBD backing disk)`;
      const w = await fio(a, measured("raw_write", scratchFile, "seq_write"), o.seconds);
      add({ key: "raw.write", label: "scratch sequential 1 MiB write", value: w.writeMibs, unit: "MiB/s", source });
      const q = await fio(a, measured("raw_qd1", scratchFile, "qd1_write"), o.seconds);
      if (q.writeLat) add({ key: "raw.qd1_write_p50", label: "scratch 4 KiB write latency QD1, p50", value: q.writeLat.p50, unit: "us", source });
      await mustExec(a, "rm", ["-f", scratchFile]);
      if (onLvm) await drbdScratch();
    },
  };

  /** DRBD's own write speed, on a scratch LV in the filesystem's VG when it has room for one. */
  const drbdScratch = async () => {
    const free = await mustExec(a, "vgs", ["--noheadings", "--nosuffix", "--units", "m", "-o", "vg_free", vg]);
    if (Number(free.stdout.trim()) < 2 * fileMib) {
      checks.push({ name: "drbd scratch volume", passed: true, detail: `skipped: ${vg} has ${free.stdout.trim()} MiB free, the scratch LV needs ${2 * fileMib}` });
      return;
    }
    await mustExec(a, "lvcreate", ["--yes", "-an", "-Zn", "-L", `${fileMib}m`, "-n", scratchLv, vg]);
    scratchLvMade = true;
    await mustExec(a, "lvchange", ["-aey", `${vg}/${scratchLv}`]);
    const s = await fio(a, measured("drbd_write", `/dev/${vg}/${scratchLv}`, "seq_write"), o.seconds);
    add({ key: "drbd.write", label: "DRBD device sequential 1 MiB write (scratch LV)", value: s.writeMibs, unit: "MiB/s", source: `${nodeA.name}:/dev/${vg}/${scratchLv}` });
    await removeScratchLv();
  };
  const removeScratchLv = async () => {
    if (!scratchLvMade) return;
    await a.exec("lvchange", ["-an", `${vg}/${scratchLv}`]);
    await mustExec(a, "lvremove", ["--yes", `${vg}/${scratchLv}`]);
    scratchLvMade = false;
  };

  const fileOf = (who: "a" | "b" | "shared") => `${dir}/${who}.dat`;
  const scenario = (s: Scenario): BenchPhase => ({
    title: `GFS2 fio: ${s === "a" ? `${nodeA.name} alone` : s === "b" ? `${nodeB.name} alone` : s === "ab" ? "both nodes, separate files" : "both nodes, one shared file"}`,
    run: async () => {
      if (s === "a") await fio(a, layoutArgs(fileOf("a"), fileMib), 0);
      if (s === "b") await fio(b, layoutArgs(fileOf("b"), fileMib), 0);
      if (s === "shared") await fio(a, layoutArgs(fileOf("shared"), fileMib), 0);
      for (const w of Object.keys(WORKLOADS) as WorkloadName[]) {
        let summary: FioSummary;
        if (s === "a" || s === "b") summary = await fio(s === "a" ? a : b, measured(w, fileOf(s), w), o.seconds);
        else {
          const [x, y] = await Promise.all([fio(a, measured(w, fileOf(s === "ab" ? "a" : "shared"), w), o.seconds), fio(b, measured(w, fileOf(s === "ab" ? "b" : "shared"), w), o.seconds)]);
          summary = combine(x, y);
        }
        for (const f of workloadFigures(s, w, summary, `${o.fs.mountpoint}, ${fileMib} MiB file(s), ${o.seconds} s`)) add(f);
      }
    },
  });

  const coherence: BenchPhase = {
    title: `coherence: write + fsync on ${nodeA.name}, seen and answered by ${nodeB.name}`,
    run: async () => {
      const where = `${dir}/coherence`;
      await mustExec(a, "mkdir", [where]);
      const seconds = Math.max(30, 3 * o.seconds);
      const [lead, echo] = await Promise.all([
        py(a, ["coherence", "lead", where, "200", String(seconds)], seconds * 1000 + SLACK_MS),
        py(b, ["coherence", "echo", where, "200", String(seconds)], seconds * 1000 + SLACK_MS),
      ]);
      const samples = (JSON.parse(lead.stdout) as { samples: number[] }).samples;
      const answered = (JSON.parse(echo.stdout) as { samples: number[] }).samples[0] ?? 0;
      checks.push({ name: "coherence", passed: samples.length > 0, detail: `${samples.length} round trips measured, ${answered} answered by ${nodeB.name} in ${seconds} s` });
      if (samples.length === 0) return;
      const l = percentiles(samples);
      const source = `${samples.length} round trips, ${nodeA.name}'s clock`;
      add({ key: "coherence.p50", label: "cross-node write→seen→answered, p50", value: l.p50, unit: "us", source });
      add({ key: "coherence.p99", label: "cross-node write→seen→answered, p99", value: l.p99, unit: "us", source });
      add({ key: "coherence.max", label: "cross-node write→seen→answered, max", value: l.max, unit: "us", source });
    },
  };

  const pingPong: BenchPhase = {
    title: "lock bouncing: ping_pong -rw on one node, then both",
    run: async () => {
      const file = `${dir}/ping_pong.dat`;
      // One more lock than nodes, as ping_pong's manual asks.
      const locks = String(o.nodes.length + 1);
      const pp = (t: Transport, seconds: number) => t.exec("timeout", ["-s", "INT", String(seconds), "ping_pong", "-rw", file, locks], { timeoutMs: seconds * 1000 + SLACK_MS });
      const one = parsePingPong(exitedByTimeout(await pp(a, o.seconds), a));
      add({ key: "pingpong.one", label: "ping_pong -rw, one node", value: one.locksPerSec, unit: "locks/s", source: nodeA.name });
      // A is timed only once B reports its first rate, so B is bouncing the locks for all of
      // A's run (started together, B could join after A's last report under a slow VM: A then
      // saw increment 1). B runs until released: its stdin closing stops it; stdbuf makes the
      // rate reach us as it is printed.
      const other = await b.hold("sh", ["-c", 'timeout -s INT "$1" stdbuf -o0 ping_pong -rw "$2" "$3" & p=$!; cat >/dev/null; kill -INT $p 2>/dev/null; wait $p', "sh", String(o.seconds + 120), file, locks], { readyPattern: /locks\/sec/, timeoutMs: 60_000 });
      if (!other.ready) throw new Error(`${nodeB.name}: ping_pong did not start bouncing the locks (exit ${other.code}): ${other.output.trim()}`);
      let two: ReturnType<typeof parsePingPong>;
      try {
        two = parsePingPong(exitedByTimeout(await pp(a, o.seconds), a));
      } finally {
        await other.release();
      }
      add({ key: "pingpong.two", label: "ping_pong -rw, both nodes (node A's rate)", value: two.locksPerSec, unit: "locks/s", source: `${nodeA.name} with ${nodeB.name} running` });
      add({ key: "pingpong.increment", label: "ping_pong data increment seen by node A", value: two.dataIncrement ?? 0, unit: "count" });
      checks.push({ name: "ping_pong data increment", passed: two.dataIncrement === o.nodes.length, detail: `data increment = ${two.dataIncrement ?? "not reported"} with ${o.nodes.length} nodes (each node's write must be seen by the other: expected ${o.nodes.length})` });
    },
  };

  const metadata: BenchPhase = {
    title: "metadata: create/stat/unlink in per-node directories, then one shared directory",
    run: async () => {
      const count = "500";
      for (const shared of [false, true]) {
        const where = (n: NodeSpec) => `${dir}/${shared ? "meta-shared" : `meta-${n.name}`}`;
        for (const n of shared ? [nodeA] : o.nodes) await mustExec(a, "mkdir", [where(n)]);
        const results = await Promise.all(o.nodes.map((n) => py(transport(o, n), ["meta", where(n), n.name, count], SLACK_MS).then((r) => JSON.parse(r.stdout) as { ops: number; seconds: number })));
        const ops = results.reduce((s, r) => s + r.ops, 0);
        const seconds = Math.max(...results.map((r) => r.seconds));
        add({ key: shared ? "meta.shared" : "meta.private", label: `create+stat+unlink, both nodes, ${shared ? "one shared directory" : "per-node directories"}`, value: ops / seconds, unit: "ops/s", source: `${count} files per node` });
      }
    },
  };

  const cleanup = async () => {
    // Anything still running from this run is found by the run's directory in its command line.
    await Promise.all(o.nodes.map((n) => transport(o, n).exec("pkill", ["-f", `gfsdeploy-bench-${o.runId}`])));
    await a.exec("rm", ["-rf", "--one-file-system", dir]);
    await a.exec("rm", ["-f", scratchFile]);
    await removeScratchLv().catch(() => undefined);
  };

  return {
    phases: [health, link, raw, scenario("a"), scenario("b"), scenario("ab"), scenario("shared"), coherence, pingPong, metadata],
    cleanup,
    report: () => ({
      schema: "gfsdeploy-bench/1",
      cluster: o.spec.cluster.name,
      filesystem: o.fs.name,
      mountpoint: o.fs.mountpoint,
      nodes: o.nodes.map((n) => n.name),
      startedAt: startedAt.toISOString(),
      elapsedSeconds: Math.round((o.now().getTime() - startedAt.getTime()) / 100) / 10,
      durationSeconds: o.seconds,
      spec: o.spec,
      versions,
      figures,
      ratios: ratios(figures),
      checks,
    }),
  };
}

/** What the bench runs on the nodes that a node may lack. */
const TOOLS = ["fio", "iperf3", "ping_pong", "ping"];

/**
 * Every node of the spec read in one batch and judged by the health rule status and
 * fence-test use, with the bench's own tools; throws UnhealthyError naming each problem,
 * worst first per node (an unreachable node among them). A benchmark of a degraded cluster
 * measures the degradation (a resync, a missing peer), so the bench refuses rather than print
 * numbers nobody should trust. Returns each node's versions, read in the same batch.
 */
export async function healthGate(o: BenchOptions): Promise<Record<string, StackVersions>> {
  const shape: HealthyShape = { ...healthyShape(o.spec, o.fs), tools: { names: TOOLS, install: "set bench.enabled: true in the spec and run apply" } };
  const versions: Record<string, StackVersions> = {};
  const problems = await Promise.all(
    o.spec.nodes.map(async ({ name }) => {
      const t = o.transports.get(name);
      if (!t) {
        const why = o.unreachable.get(name) ?? "not connected";
        return [`${name}: unreachable over SSH (${why.split("\n")[0] ?? why})`];
      }
      const f = await gather(t, [...nodeReads(shape), ...versionsReads()]);
      versions[name] = stackVersions(f);
      return readingProblems(nodeReading(f, shape), shape);
    }),
  );
  if (problems.flat().length > 0) {
    throw new UnhealthyError(`the cluster is not healthy enough to benchmark:\n  ${problems.flat().join("\n  ")}`, "fix these first (`gfsdeploy status`, `gfsdeploy apply`, or wait for a resync to finish), then run bench again");
  }
  return versions;
}

function transport(o: BenchOptions, n: NodeSpec): Transport {
  const t = o.transports.get(n.name);
  if (!t) throw new Error(`no connection to ${n.name}`);
  return t;
}

/** `timeout` ends a run of ping_pong on purpose: its exit status 124 is the normal end. */
function exitedByTimeout(r: ExecResult, t: Transport): string {
  if (r.code !== 124 && r.code !== 0) throw new Error(`${t.host}: ping_pong exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
