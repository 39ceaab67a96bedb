/**
 * Faults on the test bed: what gfsdeploy does when things go wrong under it, and that the
 * data on the GFS2 mount survives each fault byte for byte. Each test records the fault, what
 * happened and how long recovery took; the table is printed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { main, type Io } from "../../src/cli/main.js";
import type { RunEvent } from "../../src/run/events.js";
import type { NodeName } from "../../src/testbed/nodes.js";
import { qmp } from "../../src/testbed/vm.js";
import { both, bootId, failedActions, gfsdeploy, on, phaseTimer, seconds, SPEC, tryOn, until } from "./support.js";
import { record } from "./transcript.js";

const timed = phaseTimer("faults");
const outcomes: { fault: string; outcome: string; recovery: string }[] = [];
const PRECIOUS = "/srv/data/precious.bin";
let precious = "";

/** An apply whose JSON events are seen as they happen, so a fault can be timed to a step. */
async function applyWatching(onEvent: (e: RunEvent) => void): Promise<{ code: number; out: string }> {
  let out = "";
  let partial = "";
  const io: Io = {
    out: (text) => {
      out += text;
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("{")) onEvent(JSON.parse(line) as RunEvent);
    },
    err: (text) => {
      out += text;
    },
  };
  const code = await main(["node", "gfsdeploy", "apply", SPEC, "--yes", "--json"], io);
  record(out);
  process.stderr.write(out.split("\n").filter((l) => /"step-end".*"outcome":"(changed|failed|skipped|refused)"|^error|^hint/.test(l)).map((l) => `  | ${l}`).join("\n") + "\n");
  return { code, out };
}

async function dataIntact(): Promise<void> {
  for (const n of both) expect(await on(n, `md5sum < ${PRECIOUS}`), `${PRECIOUS} on ${n}`).toBe(precious);
}

/** Reachable again with another boot id: it really rebooted (not merely unreachable). */
async function rebooted(node: NodeName, previousBoot: string): Promise<boolean> {
  const r = await tryOn(node, "cat /proc/sys/kernel/random/boot_id");
  return r.code === 0 && /^[0-9a-f-]{36}$/.test(r.out) && r.out !== previousBoot;
}

/**
 * After a node was fenced or reset: it is back over SSH, a cluster member again, DRBD is
 * connected and UpToDate on both sides, and GFS2 is mounted on it. Returns each phase's time.
 */
async function recovered(node: NodeName, previousBoot: string): Promise<Record<string, number>> {
  const peer: NodeName = node === "node1" ? "node2" : "node1";
  return {
    reboot: await until(`${node} rebooted and reachable`, 900, () => rebooted(node, previousBoot)),
    rejoin: await until(`${node} online in ${peer}'s view`, 900, async () => /<node name="[^"]+" id="\d+" online="true"[\s\S]*<node name="[^"]+" id="\d+" online="true"/.test(await on(peer, "crm_mon -1 --output-as=xml | grep '<node name='"))),
    resync: await until("DRBD r0 Connected and UpToDate/UpToDate", 1800, async () => (await on(peer, "drbdadm cstate r0; drbdadm dstate r0")) === "Connected\nUpToDate/UpToDate"),
    remount: await until(`GFS2 mounted on ${node}`, 900, async () => /on \/srv\/data type gfs2/.test(await on(node, "mount -t gfs2"))),
  };
}

const phases = (p: Record<string, number>) => Object.entries(p).map(([k, ms]) => `${k} ${seconds(ms)}`).join(", ");
const dropColocation = (node: NodeName) => on(node, "cibadmin --delete --xpath \"//rsc_colocation[@rsc='data-group-clone'][@with-rsc='locking-clone']\"");

describe("faults on the QEMU test bed", () => {
  beforeAll(async () => {
    const r = await timed("converge before faults", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(r.code, r.out).toBe(0);
    precious = await on("node1", `head -c 16M /dev/urandom > ${PRECIOUS} && sync && md5sum < ${PRECIOUS}`);
  });

  afterAll(() => {
    const rows = [{ fault: "FAULT", outcome: "OUTCOME", recovery: "RECOVERY" }, ...outcomes];
    const w = (k: "fault" | "outcome") => Math.max(...rows.map((r) => r[k].length));
    process.stderr.write(`\nfault tests\n${rows.map((r) => `  ${r.fault.padEnd(w("fault"))}  ${r.outcome.padEnd(w("outcome"))}  ${r.recovery}`).join("\n")}\n`);
  });

  it("a second apply while one runs fails fast, naming the holder of the lock", async () => {
    let second: Promise<{ code: number; out: string; ms: number }> | undefined;
    const first = applyWatching((e) => {
      if (e.type === "run-start" && !second) {
        const t0 = Date.now();
        second = gfsdeploy("apply", SPEC, "--yes").then((r) => ({ ...r, ms: Date.now() - t0 }));
      }
    });
    const r1 = await first;
    expect(r1.code, r1.out).toBe(0);
    expect(second, "the first apply never started its run").toBeDefined();
    const r2 = await (second as NonNullable<typeof second>);
    expect(r2.code).toBe(1);
    expect(r2.out).toMatch(/holds the cluster lock on node1: \S+@\S+ pid \d+/);
    await dataIntact();
    outcomes.push({ fault: "two applies at once", outcome: "second refused: lock held", recovery: `refused in ${seconds(r2.ms)}` });
  });

  it("the SSH session killed from the node during the CIB phase: apply fails naming the step, a re-run converges", async () => {
    await dropColocation("node1");
    let killed: Promise<string> | undefined;
    const failed = await timed("apply with its SSH session killed", () =>
      applyWatching((e) => {
        if (e.type === "step-check" && e.id === "cluster/cib/filesystems" && e.result.status === "change" && !killed) {
          // The lock holder is a child of our session's sshd: its parent is the session to kill.
          killed = on("node1", "kill -9 $(ps -o ppid= -p $(fuser /run/gfsdeploy.lock 2>/dev/null)) && echo killed");
        }
      }),
    );
    expect(await killed, "the CIB step never reported its change").toBe("killed");
    expect(failed.code, failed.out).toBe(1);
    expect(failed.out).toMatch(/"id":"cluster\/cib\/filesystems","outcome":"failed"/);
    const t0 = Date.now();
    const rerun = await timed("re-run after the killed session", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(rerun.code, rerun.out).toBe(0);
    const recovery = Date.now() - t0;
    expect(await on("node1", "cibadmin --query --xpath \"//rsc_colocation[@rsc='data-group-clone'][@with-rsc='locking-clone']\"")).toMatch(/rsc_colocation/);
    const plan = await gfsdeploy("plan", SPEC);
    expect(plan.code, plan.out).toBe(0);
    await dataIntact();
    outcomes.push({ fault: "SSH session killed mid-apply (CIB)", outcome: "failed naming cluster/cib/filesystems; re-run converged", recovery: `re-run ${seconds(recovery)}` });
  });

  it("node2 hard-reset during the DRBD phase: the re-run converges", async () => {
    // A drift DRBD accepts between peers (a disk option), so node2 rejoins before the fix.
    await on("node2", "sed -i 's/resync-rate 100M/resync-rate 90M/' /etc/drbd.d/r0.res");
    const before = await bootId("node2");
    let reset: Promise<unknown> | undefined;
    const interrupted = await timed("apply with node2 reset", () =>
      applyWatching((e) => {
        if (e.type === "step-check" && e.id === "node2/drbd/r0/res" && e.result.status === "change" && !reset) reset = qmp("node2", "system_reset");
      }),
    );
    expect(reset, "the DRBD file step never reported its change").toBeDefined();
    await reset;
    expect(interrupted.code, interrupted.out).toBe(1);
    const back = await timed("node2 back after reset", () => recovered("node2", before));
    const t0 = Date.now();
    const rerun = await timed("re-run after the reset", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(rerun.code, rerun.out).toBe(0);
    expect(await on("node2", "grep -c 'resync-rate 100M;' /etc/drbd.d/r0.res")).toBe("1");
    const plan = await gfsdeploy("plan", SPEC);
    expect(plan.code, plan.out).toBe(0);
    await dataIntact();
    outcomes.push({ fault: "node2 system_reset mid-apply (DRBD)", outcome: "apply failed; node2 rejoined; re-run converged", recovery: `${phases(back)}; re-run ${seconds(Date.now() - t0)}` });
  });

  it("pcs stonith fence node2: node1 keeps GFS2 I/O, bench refuses meanwhile, node2 comes back whole, plan is clean", async () => {
    const before = await bootId("node2");
    const survivorBoot = await bootId("node1");
    const t0 = Date.now();
    const fence = await timed("pcs stonith fence node2", () => tryOn("node1", "pcs stonith fence node2"));
    expect(fence.code, fence.out).toBe(0);
    const fenced = Date.now() - t0;
    // GFS2 on node1 blocks until DLM has recovered node2's locks and journal; then it writes.
    const w0 = Date.now();
    const written = await on("node1", "head -c 4M /dev/urandom > /srv/data/after-fence && sync /srv/data/after-fence && md5sum < /srv/data/after-fence");
    const io = Date.now() - w0;
    const refused = await timed("bench while node2 is away", () => gfsdeploy("bench", SPEC, "--duration", "5s"));
    expect(refused.code, refused.out).toBe(1);
    expect(refused.out).toMatch(/not healthy enough to benchmark/);
    // node2 may still be booting (unreachable) or back and resyncing: DRBD is not Connected either way.
    expect(refused.out).toMatch(/node[12]: DRBD r0 is \w+, not Connected/);
    const back = await timed("node2 back after fencing", () => recovered("node2", before));
    // One node's fencing must not cost the other: its monitors wait out the fencing.
    expect(await bootId("node1"), "node1 must survive node2's fencing").toBe(survivorBoot);
    expect(await failedActions("node1"), "no failed action on the survivor").toBe("0");
    const plan = await timed("plan after the fence", () => gfsdeploy("plan", SPEC));
    expect(plan.code, plan.out).toBe(0);
    expect(await on("node2", "md5sum < /srv/data/after-fence")).toBe(written);
    await dataIntact();
    outcomes.push({ fault: "pcs stonith fence node2", outcome: "node1 wrote on; bench refused; node2 rejoined; plan clean", recovery: `fence ${seconds(fenced)}, node1 write ${seconds(io)}, ${phases(back)}` });
  });

  it("the cluster wire cut: exactly one survivor by fencing, no DRBD split brain, the cluster heals", async () => {
    const [boot1, boot2] = [await bootId("node1"), await bootId("node2")];
    const t0 = Date.now();
    await qmp("node2", "set_link", { name: "wire", up: false });
    let cut = 0;
    try {
      // node1 wins the race (fencing it waits raceDelay); node2 reboots by SBD's poison pill.
      cut = await until("node2 fenced (rebooted)", 900, () => rebooted("node2", boot2));
    } finally {
      await qmp("node2", "set_link", { name: "wire", up: true });
    }
    expect(await bootId("node1"), "node1 must survive").toBe(boot1);
    const w0 = Date.now();
    await on("node1", "head -c 1M /dev/urandom > /srv/data/after-cut && sync /srv/data/after-cut");
    const io = Date.now() - w0;
    const back = await timed("node2 back after the cut", () => recovered("node2", boot2));
    expect(await bootId("node1"), "node1 must survive").toBe(boot1);
    expect(await on("node1", `journalctl -k --since=@${Math.floor(t0 / 1000)} --no-pager | grep -c 'Split-Brain detected' || true`)).toBe("0");
    const heal = await timed("apply after the cut", () => gfsdeploy("apply", SPEC, "--yes"));
    expect(heal.code, heal.out).toBe(0);
    const plan = await gfsdeploy("plan", SPEC);
    expect(plan.code, plan.out).toBe(0);
    await dataIntact();
    outcomes.push({ fault: "cluster wire cut (node2 side)", outcome: "node1 survived, node2 fenced; no split brain; healed", recovery: `fenced ${seconds(cut)}, node1 write ${seconds(io)}, ${phases(back)}` });
  });
});
