import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { runCli } from "../../support/cli.js";
import { needs } from "../../support/needs.js";
import type { Outcome, RunEvent } from "../../../src/run/events.js";
import { handlers } from "../../../src/steps/registry.js";
import { SshTransport } from "../../../src/transport/ssh.js";
import type { ExecOptions, ExecResult, WriteOptions } from "../../../src/transport/types.js";
import { freePort, startSshd, type TestSshd } from "../transport/sshd.js";

/**
 * `gfsdeploy plan` against real nodes, through main(): two OpenSSH servers from the
 * transport harness on 127.0.0.1 play node1 and node2, and both log in to this very machine.
 * It has the cluster packages installed (for the tool tests) but runs no cluster, has no
 * systemd, no sbd package and none of the spec's disks, so the checks see a bare node.
 *
 * Plan must change nothing here. Three guards make sure of it while the tests run, on top of
 * the before/after snapshots the tests compare: every step handler's apply is replaced by one
 * that fails, and the transport refuses writes outside /var/lib/gfsdeploy and the commands
 * that change a node (see `mutation`). Only 127.0.0.1 is ever dialled; the ring addresses in
 * the spec are rendered into files, never contacted.
 */

/** Paths a plan must leave exactly as they were (content, mode, owner, mtime; absent stays absent). */
const UNTOUCHED = [
  "/etc/hosts",
  "/etc/hostname",
  "/etc/corosync",
  "/etc/drbd.d",
  "/etc/lvm/lvmlocal.conf",
  "/etc/default/sbd",
  "/etc/shadow",
  "/etc/systemd/system",
  "/var/lib/pcsd",
  "/run/gfsdeploy",
];

/** gfsdeploy's own cache on a node: the cib check may fill it (helper scripts, desired CIBs). */
const OWN_CACHE = "/var/lib/gfsdeploy";
const OWN_CACHE_ENTRY = /^(scripts|scripts\/[0-9a-f]{12}-[\w.]+|cib|cib\/desired-[a-z]+-[0-9a-f]{16}\.xml(\.pcs)?)$/;

const PASSWORD_ENV = "GFSDEPLOY_TEST_PLAN_LIVE_HACLUSTER_PASSWORD";
const MISSING_SBD = "/dev/gfsdeploy-test-missing-sbd";
const MISSING_DISK = "/dev/gfsdeploy-test-missing";
const DEVICE_HINT = "check the device path in the spec (ls -l /dev/disk/by-id/ on the node)";

let node1: TestSshd;
let node2: TestSshd;
let dir: string;
/** A known_hosts file that records both servers. */
let knownHosts: string;
let authkeyFile: string;
const password = `hacluster-${randomBytes(12).toString("hex")}`;
/** Printable, so any leak of it in text would show verbatim; 256 bytes like corosync-keygen's. */
const authkey = Buffer.from(randomBytes(192).toString("base64"));

beforeAll(async () => {
  [node1, node2] = await Promise.all([startSshd(), startSshd()]);
  // The spec has one identityFile for every node: node2 accepts node1's client key as well.
  await appendFile(join(node2.dir, "authorized_keys"), await readFile(`${node1.identityFile}.pub`));
  dir = await mkdtemp(join(tmpdir(), "gfsdeploy-plan-live-"));
  knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `${node1.knownHostsLine}\n${node2.knownHostsLine}\n`);
  authkeyFile = join(dir, "authkey");
  await writeFile(authkeyFile, authkey, { mode: 0o600 });
});

afterAll(async () => {
  await Promise.all([node1?.stop(), node2?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the guards stopped; a test fails if this is not empty. */
let blocked: string[];

beforeEach(() => {
  blocked = [];
  vi.stubEnv(PASSWORD_ENV, password);
  for (const handler of Object.values(handlers) as { apply: (...args: never[]) => Promise<void> }[]) {
    vi.spyOn(handler, "apply").mockImplementation(() => {
      blocked.push("a step's apply ran");
      return Promise.reject(new Error("test guard: apply must not run here"));
    });
  }
  // The real methods, called with the transport as `this` by the spies below.
  const { exec: realExec, writeFile: realWrite } = Object.getOwnPropertyDescriptors(SshTransport.prototype) as {
    exec: { value: (this: SshTransport, ...args: Parameters<SshTransport["exec"]>) => Promise<ExecResult> };
    writeFile: { value: (this: SshTransport, ...args: Parameters<SshTransport["writeFile"]>) => Promise<void> };
  };
  vi.spyOn(SshTransport.prototype, "exec").mockImplementation(function (this: SshTransport, command: string, args: readonly string[] = [], options?: ExecOptions): Promise<ExecResult> {
    const why = mutation([command, ...args]);
    if (why === undefined) return realExec.value.call(this, command, args, options);
    blocked.push(`${this.host}: ${[command, ...args].join(" ")} (${why})`);
    return Promise.reject(new Error(`test guard: ${why}`));
  });
  vi.spyOn(SshTransport.prototype, "writeFile").mockImplementation(function (this: SshTransport, path: string, body: string | Buffer, options?: WriteOptions): Promise<void> {
    if (path.startsWith(`${OWN_CACHE}/`)) return realWrite.value.call(this, path, body, options);
    blocked.push(`${this.host}: write ${path}`);
    return Promise.reject(new Error(`test guard: plan wrote ${path}`));
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Why argv would change a node, or undefined for what a check may run. */
function mutation(argv: readonly string[]): string | undefined {
  const [command = "", ...args] = argv;
  const first = args[0] ?? "";
  switch (basename(command)) {
    case "systemctl":
      return ["is-enabled", "is-active", "status", "show", "cat"].includes(first) ? undefined : "systemctl changes unit state";
    case "drbdadm":
      return ["cstate", "dstate", "role", "dump-md", "dump", "status"].includes(first) ? undefined : "drbdadm changes DRBD";
    case "sbd":
      return args.includes("dump") || args.includes("list") ? undefined : "sbd writes its header";
    case "cibadmin":
      return args.includes("--query") || args.includes("--empty") ? undefined : "cibadmin changes the CIB";
    case "python3":
      return args.includes("apply") ? "a helper script in apply mode" : undefined;
    case "mkdir":
    case "mv":
    case "rm":
    case "touch":
      return args.filter((a) => !a.startsWith("-")).every((a) => a.startsWith(`${OWN_CACHE}/`)) ? undefined : `${command} outside ${OWN_CACHE}`;
    case "apt-get":
    case "apt":
    case "dpkg":
    case "dnf":
    case "yum":
    case "hostnamectl":
    case "chpasswd":
    case "pcs":
    case "pvcreate":
    case "vgcreate":
    case "lvcreate":
    case "lvextend":
    case "lvchange":
    case "vgchange":
    case "mkfs.gfs2":
    case "gfs2_grow":
    case "gfs2_jadd":
    case "wipefs":
    case "dd":
    case "corosync-cfgtool":
      return `${command} changes the node`;
    default:
      return undefined;
  }
}

const cli = runCli;

/** The --json event stream: one event per line. */
function events(out: string): RunEvent[] {
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as RunEvent);
}

type StepEnd = Extract<RunEvent, { type: "step-end" }>;
type StepCheck = Extract<RunEvent, { type: "step-check" }>;

function stepEnds(stream: RunEvent[]): Map<string, StepEnd> {
  const ends = new Map<string, StepEnd>();
  for (const e of stream) {
    if (e.type !== "step-end") continue;
    expect(ends.has(e.id), `${e.id} ended twice`).toBe(false);
    ends.set(e.id, e);
  }
  return ends;
}

function runEnd(stream: RunEvent[]): Extract<RunEvent, { type: "run-end" }> {
  const end = stream.find((e) => e.type === "run-end");
  if (end?.type !== "run-end") throw new Error("no run-end event");
  return end;
}

interface SpecOptions {
  ports: readonly [number, number];
  knownHosts: string;
  sbd: string;
  disk: string;
  /** The authkey file, relative to the spec. */
  authkey?: string;
  /** Default debian12, what this machine is. */
  distro?: string;
}

let specs = 0;

/** A debian12 spec for node1 and node2 on 127.0.0.1 (one port each), with lvmlockd and one GFS2. */
async function writeSpec(o: SpecOptions): Promise<string> {
  const file = join(dir, `cluster-${++specs}.yaml`);
  await writeFile(
    file,
    `apiVersion: gfsdeploy/v1
cluster: { name: plantest, distro: ${o.distro ?? "debian12"} }
ssh: { user: root, identityFile: ${node1.identityFile}, knownHosts: ${o.knownHosts} }
nodes:
  - { name: node1, host: 127.0.0.1, ring0: 10.0.0.1, ssh: { port: ${o.ports[0]} } }
  - { name: node2, host: 127.0.0.1, ring0: 10.0.0.2, ssh: { port: ${o.ports[1]} } }
secrets:
  haclusterPassword: { env: ${PASSWORD_ENV} }
  authkey: { file: ${o.authkey ?? "./authkey"} }
stonith:
  sbd: { devices: [${o.sbd}], watchdog: /dev/watchdog0 }
  devices:
    - { name: sbd-fence, agent: fence_sbd, targets: [node1, node2] }
drbd:
  resources:
    - { name: r0, minor: 0, disk: ${o.disk} }
lvm:
  locking: lvmlockd
  volumeGroups:
    - { name: vg_gfs, pvs: [drbd/r0], logicalVolumes: [{ name: lv_data, size: 100%FREE }] }
filesystems:
  - { name: data, device: vg_gfs/lv_data, mountpoint: /srv/data, journals: 2, journalSize: 32M }
`,
  );
  return file;
}

const reachable = (o: Partial<SpecOptions> = {}): Promise<string> =>
  writeSpec({ ports: [node1.port, node2.port], knownHosts, sbd: MISSING_SBD, disk: MISSING_DISK, ...o });

interface PlanStep {
  id: string;
  kind: string;
  host: string;
  dependsOn: string[];
}

/** The compiled steps, from `plan --offline --json` (which contacts nobody). */
async function compiledSteps(spec: string): Promise<PlanStep[]> {
  const r = await cli("plan", "--offline", "--json", spec);
  expect(r).toMatchObject({ code: 0, err: "" });
  return (JSON.parse(r.out) as { steps: PlanStep[] }).steps;
}

function ancestorsOf(steps: readonly PlanStep[], id: string): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const todo = [...(byId.get(id)?.dependsOn ?? [])];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(byId.get(next)?.dependsOn ?? []));
  }
  return seen;
}

/** Type, mode, owner, mtime and content hash of each path and everything below it. */
async function snapshot(paths: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path).catch(() => undefined);
    if (st === undefined) {
      found.set(path, "absent");
      return;
    }
    const meta = `${st.mode.toString(8)} ${st.uid}:${st.gid} mtime ${st.mtimeMs}`;
    if (st.isSymbolicLink()) found.set(path, `link → ${await readlink(path)}`);
    else if (st.isFile()) found.set(path, `file ${meta} sha256 ${createHash("sha256").update(await readFile(path)).digest("hex")}`);
    else if (st.isDirectory()) {
      found.set(path, `dir ${meta}`);
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
    } else found.set(path, `other ${meta}`);
  };
  for (const path of paths) await visit(path);
  return found;
}

/** Everything under gfsdeploy's cache, relative to it. */
async function ownCacheEntries(): Promise<string[]> {
  if (!existsSync(OWN_CACHE)) return [];
  return (await readdir(OWN_CACHE, { recursive: true })).map(String).sort();
}

/** The checks that ran: a step-check event precedes each step's end when its check returned. */
function checks(stream: RunEvent[]): Map<string, StepCheck["result"]> {
  return new Map(stream.flatMap((e) => (e.type === "step-check" ? [[e.id, e.result] as const] : [])));
}

describe("gfsdeploy plan against two reachable, bare nodes", () => {
  it("checks every step it can, stops only at the missing disks it refuses by design, changes nothing, exits 1", async () => {
    // The spec's SBD device and DRBD backing disk do not exist. That is not a change plan can
    // promise to make: guardDevice (src/steps/devices.ts) refuses a destructive step whose
    // device is missing ("… does not exist on NODE"), so sbd-device and both create-md steps
    // are refused, everything downstream of them is skipped unchecked, and plan exits 1
    // (refused > 0), not 3. Every other step is a change: nothing is "ok" on a bare node.
    const spec = await reachable();
    const steps = await compiledSteps(spec);
    const before = await snapshot(UNTOUCHED);

    const r = await cli("plan", "--json", spec);

    expect(blocked).toEqual([]);
    expect(r.err).toBe("");
    const stream = events(r.out);
    const ends = stepEnds(stream);
    const checked = checks(stream);
    expect(stream[0]).toEqual({ type: "run-start", mode: "plan", steps: steps.length, at: expect.any(String) as string });
    expect([...ends.keys()].sort()).toEqual(steps.map((s) => s.id).sort());

    const refusals = new Map([
      ["cluster/sbd/device", `${MISSING_SBD} does not exist on node1`],
      ["node1/drbd/r0/create-md", `${MISSING_DISK} does not exist on node1`],
      ["node2/drbd/r0/create-md", `${MISSING_DISK} does not exist on node2`],
    ]);
    for (const step of steps) {
      const end = ends.get(step.id);
      const refusal = refusals.get(step.id);
      const upstreamRefused = [...ancestorsOf(steps, step.id)].filter((a) => refusals.has(a));
      if (refusal !== undefined) {
        expect(end, step.id).toMatchObject({ outcome: "refused", error: { message: refusal, hint: DEVICE_HINT } });
        expect(checked.get(step.id), step.id).toEqual({ status: "refuse", reason: refusal, hint: DEVICE_HINT });
      } else if (upstreamRefused.length > 0) {
        expect(end?.outcome, step.id).toBe("skipped");
        const root = /^upstream (\S+) refused$/.exec(end?.reason ?? "")?.[1];
        expect(upstreamRefused, `${step.id}: ${end?.reason}`).toContain(root);
        expect(checked.has(step.id), `${step.id} is skipped, so never checked`).toBe(false);
      } else {
        expect(end?.outcome, `${step.id}: ${JSON.stringify(end)}`).toBe("change");
        const check = checked.get(step.id);
        expect(check?.status, step.id).toBe("change");
        expect(end?.reason, step.id).toBe(check?.status === "change" ? check.reason : undefined);
      }
    }
    // A few reasons that show the checks saw this machine as it is.
    expect(ends.get("node1/hostname")?.reason).toMatch(/^hostname \S+ → node1$/);
    expect(ends.get("node2/corosync/authkey")?.reason).toBe("create /etc/corosync/authkey");
    expect(ends.get("node1/sbd/config")?.reason).toBe("create /etc/default/sbd");
    expect(ends.get("cluster/pcs-auth")?.reason).toBe("pcs host auth node1 node2");

    const counts = runEnd(stream).counts;
    const tally = (o: Outcome) => [...ends.values()].filter((e) => e.outcome === o).length;
    expect(counts).toEqual({ ok: 0, changed: 0, change: tally("change"), pending: 0, refused: 3, failed: 0, skipped: tally("skipped") });
    expect(counts.change).toBeGreaterThan(20);
    expect(r.code).toBe(1);

    // Nothing changed on this machine; a plan never applies.
    expect(await snapshot(UNTOUCHED)).toEqual(before);
    expect((await ownCacheEntries()).filter((entry) => !OWN_CACHE_ENTRY.test(entry))).toEqual([]);
    expect(stream.filter((e) => e.type === "step-end" && e.outcome === "changed")).toEqual([]);
  });

  it("with blank block devices in place of the missing disks, every step is change or pending and plan exits 3", async (ctx) => {
    // Unattached loop devices exist and hold nothing (blkid -p finds no signature), which is
    // what a new disk looks like to the checks. Plan only reads them. The highest numbers
    // are taken, which `losetup -f` hands out last.
    const [sbd, disk] = await blankLoopDevices(2);
    needs(ctx, sbd !== undefined && disk !== undefined, "two unattached loop devices (/dev/loopN, size 0) to stand in for blank disks", "`modprobe loop` makes them (the loop driver)");
    if (sbd === undefined || disk === undefined) return;
    const spec = await reachable({ sbd, disk });
    const steps = await compiledSteps(spec);
    const before = await snapshot(UNTOUCHED);

    const r = await cli("plan", "--json", spec);

    expect(blocked).toEqual([]);
    expect(r.err).toBe("");
    const stream = events(r.out);
    const ends = stepEnds(stream);
    const checked = checks(stream);
    expect([...ends.keys()].sort()).toEqual(steps.map((s) => s.id).sort());
    // The cib checks build the desired CIB (in gfsdeploy's cache) and then compare it with the
    // live one, which `cibadmin --query` cannot read without a running cluster: the check
    // throws, and because earlier steps are changes the runner reports it as pending. Only
    // those steps may be pending, so a check that breaks for another reason still shows.
    const cibSteps = steps.filter((s) => s.kind === "cib").map((s) => s.id);
    expect(cibSteps).toEqual(["cluster/cib/base", "cluster/cib/filesystems"]);
    // The day-2 steps look at the DRBD device, the PV, the LV and its GFS2, which a bare node does not have yet: pending as well.
    const day2Steps = steps.filter((s) => ["drbd-resize", "pvresize", "lv-refresh", "gfs2-grow", "gfs2-journals"].includes(s.kind)).map((s) => s.id);
    expect(day2Steps).toEqual(["cluster/drbd/r0/resize", "cluster/lvm/pv/drbd0/resize", "node2/lvm/lv/vg_gfs/lv_data/refresh", "cluster/gfs2/data/grow", "cluster/gfs2/data/journals"]);
    const waiting = [...cibSteps, ...day2Steps];
    for (const step of steps) {
      const end = ends.get(step.id);
      if (waiting.includes(step.id)) {
        expect(end?.outcome, `${step.id}: ${JSON.stringify(end)}`).toBe("pending");
        const after = /^after (\S+)(?: \(cannot inspect yet: .+\))?$/.exec(end?.reason ?? "")?.[1] ?? "";
        expect(step.dependsOn, step.id).toContain(after);
        expect(["change", "pending"]).toContain(ends.get(after)?.outcome);
      } else {
        expect(end?.outcome, `${step.id}: ${JSON.stringify(end)}`).toBe("change");
        expect(checked.get(step.id)?.status, step.id).toBe("change");
      }
    }
    expect(ends.get("cluster/sbd/device")?.reason).toBe(`write the SBD header on ${sbd}`);
    expect(ends.get("node1/drbd/r0/create-md")?.reason).toBe(`create DRBD metadata on ${disk}`);
    expect(ends.get("cluster/ready")?.reason).toBe("wait: pacemaker is not answering");
    expect(runEnd(stream).counts).toEqual({ ok: 0, changed: 0, change: steps.length - waiting.length, pending: waiting.length, refused: 0, failed: 0, skipped: 0 });
    expect(r.code).toBe(3);

    expect(await snapshot(UNTOUCHED)).toEqual(before);
    expect(await blankLoopDevices(99)).toEqual(expect.arrayContaining([sbd, disk]));
    expect((await ownCacheEntries()).filter((entry) => !OWN_CACHE_ENTRY.test(entry))).toEqual([]);
  });
});

/** /dev/loopN that are not attached to anything (size 0), highest numbers first. */
async function blankLoopDevices(count: number): Promise<string[]> {
  const names = (await readdir("/sys/block").catch(() => [])).filter((n) => /^loop\d+$/.test(n));
  names.sort((a, b) => Number(b.slice(4)) - Number(a.slice(4)));
  const blank: string[] = [];
  for (const name of names) {
    const size = (await readFile(`/sys/block/${name}/size`, "utf8").catch(() => "")).trim();
    if (size === "0" && !existsSync(`/sys/block/${name}/loop/backing_file`) && existsSync(`/dev/${name}`)) blank.push(`/dev/${name}`);
  }
  return blank.slice(0, count);
}

describe("gfsdeploy plan with distro: auto", () => {
  it("reads the nodes' /etc/os-release (this Debian 12 machine) and checks the debian12 plan", async () => {
    const named = await compiledSteps(await reachable());
    const spec = await reachable({ distro: "auto" });

    const r = await cli("plan", "--json", spec);

    const stream = events(r.out);
    expect(r.err).toBe("");
    expect([...stepEnds(stream).keys()].sort()).toEqual(named.map((s) => s.id).sort());
    expect(r.code).toBe(1);
    expect(blocked).toEqual([]);
    // AND each node cost two remote executions: the connection's probe, which read os-release, and one batch for every check
    expect(runEnd(stream).execs).toEqual({ node1: 2, node2: 2 });
  });
});

describe("gfsdeploy plan on the controller", () => {
  it("does not generate a missing authkey: the authkey steps report it as a change instead", async () => {
    const spec = await reachable({ authkey: "./authkey-not-generated-yet" });

    const r = await cli("plan", "--json", spec);

    expect(existsSync(join(dir, "authkey-not-generated-yet"))).toBe(false);
    const ends = stepEnds(events(r.out));
    for (const node of ["node1", "node2"]) {
      expect(ends.get(`${node}/corosync/authkey`)).toMatchObject({ outcome: "change", reason: "/etc/corosync/authkey (key generated locally first)" });
    }
    expect(r.err).toBe("");
    expect(r.code).toBe(1);
    expect(blocked).toEqual([]);
  });
});

describe("gfsdeploy plan when a node cannot be used", () => {
  it("names the unreachable node, 127.0.0.1:PORT and the cause, with a hint and no stack trace; exit 1", async () => {
    const closed = await freePort();
    const spec = await reachable({ ports: [node1.port, closed] });

    const r = await cli("plan", spec);

    expect(r).toEqual({
      code: 1,
      out: "",
      err: `error: node2 (127.0.0.1:${closed}): cannot connect: connection refused\nhint: check that sshd runs on node2 and listens on 127.0.0.1 port ${closed}\n`,
    });
    expect(blocked).toEqual([]);
  });

  it("refuses a node whose host key is not recorded: exit 1, with the ssh-keyscan and --accept-new-host-keys hint", async () => {
    const onlyNode1 = join(dir, "known_hosts.node1-only");
    await writeFile(onlyNode1, `${node1.knownHostsLine}\n`);
    const spec = await reachable({ knownHosts: onlyNode1 });

    const r = await cli("plan", "--json", spec);

    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    const lines = r.err.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(`^error: node2 \\(127\\.0\\.0\\.1:${node2.port}\\): the host key is unknown: ${literal(onlyNode1)} has no entry for \\[127\\.0\\.0\\.1\\]:${node2.port}; the node presented ssh-ed25519 SHA256:\\S+$`),
    );
    expect(lines[1]).toMatch(/^hint: /);
    expect(lines[1]).toContain(`\`ssh-keyscan -p ${node2.port} 127.0.0.1 >> ${onlyNode1}\``);
    expect(lines[1]).toContain("or pass --accept-new-host-keys to record it on first contact");
    expect(lines[2]).toBe("");
    // Nothing was recorded without the flag.
    expect(await readFile(onlyNode1, "utf8")).toBe(`${node1.knownHostsLine}\n`);
  });

  it("with --accept-new-host-keys records the new key and goes on to check the steps", async () => {
    const onlyNode1 = join(dir, "known_hosts.accept");
    await writeFile(onlyNode1, `${node1.knownHostsLine}\n`);
    const spec = await reachable({ knownHosts: onlyNode1 });

    const r = await cli("plan", "--json", "--accept-new-host-keys", spec);

    expect(await readFile(onlyNode1, "utf8")).toBe(`${node1.knownHostsLine}\n${node2.knownHostsLine}\n`);
    expect(r.err).toBe("");
    const stream = events(r.out);
    expect(stream[0]?.type).toBe("run-start");
    // The same outcome as with both keys known (see the first test): the missing disks are refused.
    expect(runEnd(stream).counts).toMatchObject({ refused: 3, failed: 0, ok: 0, changed: 0 });
    expect(r.code).toBe(1);
    expect(blocked).toEqual([]);

    // Recorded: the next run needs no flag.
    const again = await cli("plan", "--json", spec);
    expect(again.err).toBe("");
    expect(again.code).toBe(1);
    expect(runEnd(events(again.out)).counts).toMatchObject({ refused: 3, failed: 0 });
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("gfsdeploy apply without --yes", () => {
  it("refuses with exit 2 when there is no terminal to confirm on, before contacting any host", async () => {
    // Both nodes on closed ports: a connection attempt would end in a connection error instead.
    const spec = await reachable({ ports: [await freePort(), await freePort()] });
    const isTTY = Object.getOwnPropertyDescriptor(process.stdin, "isTTY");
    Object.defineProperty(process.stdin, "isTTY", { value: undefined, configurable: true });
    const connect = vi.spyOn(Socket.prototype, "connect");
    try {
      const r = await cli("apply", spec);
      expect(r).toEqual({
        code: 2,
        out: "",
        err: "error: apply needs confirmation and there is no terminal to ask\nhint: run `gfsdeploy plan` to review, then `gfsdeploy apply --yes`\n",
      });
      expect(connect).not.toHaveBeenCalled();

      // The ports really are closed: with --yes, apply tries them and stops at the first contact.
      const yes = await cli("apply", "--yes", spec);
      expect(yes.code).toBe(1);
      expect(yes.err).toMatch(/^error: node1 \(127\.0\.0\.1:\d+\): cannot connect: connection refused\nnode2 \(127\.0\.0\.1:\d+\): cannot connect: connection refused\nhint: /);
      expect(connect).toHaveBeenCalled();
    } finally {
      if (isTTY) Object.defineProperty(process.stdin, "isTTY", isTTY);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
    expect(blocked).toEqual([]);
  });
});

describe("secrets in plan output", () => {
  it("never prints the hacluster password or the authkey, in --json nor in -v text", async () => {
    const spec = await reachable();
    const json = await cli("plan", "--json", spec);
    const verbose = await cli("plan", "-v", spec);
    expect(runEnd(events(json.out)).counts.change).toBeGreaterThan(0);
    expect(verbose.out).toContain("hacluster-password: set the hacluster password (not shown: secret)");

    const forms = [
      password,
      Buffer.from(password).toString("base64"),
      Buffer.from(password).toString("hex"),
      authkey.toString("latin1"),
      authkey.toString("base64"),
      authkey.toString("hex"),
      // Any piece of the key long enough to be recognised.
      ...[0, 100, 200].map((at) => authkey.subarray(at, at + 24).toString("latin1")),
    ];
    for (const [name, text] of Object.entries({ jsonOut: json.out, jsonErr: json.err, verboseOut: verbose.out, verboseErr: verbose.err })) {
      for (const secret of forms) expect(text.includes(secret), `${name} contains a secret`).toBe(false);
    }
    expect(blocked).toEqual([]);
  });
});
