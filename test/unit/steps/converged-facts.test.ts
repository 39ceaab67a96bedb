/**
 * Every check of the test bed's plan, judged on what the real test bed said: the facts
 * `plan --record-facts` recorded on a converged two-node Debian 12 cluster built from
 * inventories/testbed/cluster.yaml (test/fixtures/facts/debian12-converged). Converged means
 * a no-op, so every check is ok. Then copies of those facts are edited the way real drift
 * looks, and exactly the steps that must notice it do; every other step stays ok.
 *
 * The reads come from the plan, not from this file: when a step's reads change, the
 * recording lacks them, and the tests name each missing read. Record the facts again then:
 * `gfsdeploy plan --record-facts DIR inventories/testbed/cluster.yaml` on the converged test
 * bed, and copy DIR/node*.facts.json here.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadScripts, loadTemplates } from "../../../src/cli/templates.js";
import { compile } from "../../../src/plan/compile.js";
import type { AnyStep } from "../../../src/plan/types.js";
import { Facts, FACTS_SCHEMA, fileRead, readKey, type FactsJson, type Read } from "../../../src/probes/facts.js";
import { clusterReads, deviceBytesReads, digestReads, drbdReads, mountReads, unitReads } from "../../../src/probes/node.js";
import { lvSizeReads } from "../../../src/probes/lvm.js";
import { handlers } from "../../../src/steps/registry.js";
import { handlerFor, type CheckEnv, type CheckResult, type SecretStore } from "../../../src/steps/types.js";
import type { ExecResult } from "../../../src/transport/types.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const FIXTURE = "test/fixtures/facts/debian12-converged";
const plan = compile(testbedSpec(), loadTemplates(), loadPlaybook("site"));
const hosts = [...new Set(plan.steps.map((s) => s.host))];
const scripts = loadScripts();

/**
 * The recording's authkey digest is of the test bed's own random key, which is never
 * committed. The secrets here hold a stand-in key, and the recording is read with the
 * stand-in's digest in place of the real one; everything else is as recorded.
 */
const AUTHKEY = Buffer.from("stand-in for the test bed's authkey");
const AUTHKEY_DIGEST = digestReads("/etc/corosync/authkey")[0] as Read;
const secrets: SecretStore = {
  get: (path) => (path === "secrets.authkey" ? AUTHKEY : Buffer.from(`stand-in for ${path}`)),
  pending: () => false,
};
const envFor = (host: string): CheckEnv => ({ host, secrets, forced: new Set(), scripts });

type Recording = Record<string, FactsJson>;

/**
 * Reads the plan makes that the recording lacks, known and named: the facts were recorded
 * before LVM was asked each question in one command (pv_name and vg_name, vg_name and
 * vg_lock_type were two reads each then). The steps that make them are not judged here until
 * the facts are recorded again; then this list must be emptied, and the first test fails
 * until it is. Any other missing read fails every test, named.
 */
const NOT_YET_RECORDED = ["pvs --noheadings -o pv_name,vg_name /dev/drbd0", "vgs --noheadings -o vg_name,vg_lock_type vg_gfs"];

const RECORDED: Recording = Object.fromEntries(
  hosts.map((host) => {
    const json = JSON.parse(readFileSync(join(FIXTURE, `${host}.facts.json`), "utf8")) as FactsJson;
    const digest = json.reads[readKey(AUTHKEY_DIGEST)];
    if (digest) digest.stdout = digest.stdout.replace(/^[0-9a-f]{64}/, createHash("sha256").update(AUTHKEY).digest("hex"));
    return [host, json];
  }),
);

/** A copy of the recording, to judge as it is or to edit. */
const recorded = (): Recording => structuredClone(RECORDED);

/** `step`'s reads that the recording of its host lacks. */
function missingReads(recording: Recording, step: AnyStep): string[] {
  const have = recording[step.host]?.reads ?? {};
  return handlerFor(handlers, step)
    .reads(step, envFor(step.host))
    .map(readKey)
    .filter((key) => !(key in have));
}

/**
 * Every step's check on `recording`, by step id, but for the steps that make a read of
 * NOT_YET_RECORDED. Any other read the recording lacks fails the test, named.
 */
function judge(recording: Recording): Map<string, CheckResult> {
  const facts = new Map(hosts.map((host) => [host, Facts.fromJson(recording[host], join(FIXTURE, `${host}.facts.json`))]));
  const results = new Map<string, CheckResult>();
  for (const step of plan.steps) {
    const missing = missingReads(recording, step);
    const unknown = missing.filter((key) => !NOT_YET_RECORDED.includes(key));
    if (unknown.length > 0) throw new Error(`${FIXTURE}/${step.host}.facts.json lacks what ${step.id} reads, so record the facts again:\n${unknown.join("\n")}`);
    if (missing.length === 0) results.set(step.id, handlerFor(handlers, step).check(step, facts.get(step.host) as Facts, envFor(step.host)));
  }
  return results;
}

/** The steps whose check is not ok, with what it said. */
function notOk(results: Map<string, CheckResult>): Record<string, string> {
  const said = (r: CheckResult) => (r.status === "ok" ? "" : r.status === "pending" ? r.why : r.reason);
  return Object.fromEntries([...results].filter(([, r]) => r.status !== "ok").map(([id, r]) => [id, `${r.status}: ${said(r)}`]));
}

/** The recording with `edit` made to a copy of it. */
function drifted(edit: (r: Recording) => void): Recording {
  const copy = recorded();
  edit(copy);
  return copy;
}

/** Puts `result` (or what `change` makes of the recorded one) in place of what `host` answered to `read`. */
function answer(r: Recording, host: string, read: Read, change: Partial<ExecResult> | ((was: ExecResult) => Partial<ExecResult>)): void {
  const reads = r[host]?.reads;
  const key = readKey(read);
  const was = reads?.[key];
  if (!reads || !was) throw new Error(`the recording of ${host} has no ${key} to edit`);
  reads[key] = { ...was, ...(typeof change === "function" ? change(was) : change) };
}

/** crm_mon's XML with `resource` stopped on `node`: Pacemaker lists a stopped member with no node. */
function stopped(xml: string, resource: string, node: string): string {
  const running = new RegExp(`<resource id="${resource}" ([^>]*)role="Started" active="true"([^>]*)nodes_running_on="1">\\s*<node name="${node}"[^>]*/>\\s*</resource>`);
  if (!running.test(xml)) throw new Error(`crm_mon shows no ${resource} running on ${node}`);
  return xml.replace(running, `<resource id="${resource}" $1role="Stopped" active="false"$2nodes_running_on="0"/>`);
}

const GIB = 1024 ** 3;
const BLOCK = 4096;
const EXTENT = 4 * 1024 ** 2;
const CRM_MON = clusterReads()[0] as Read;
const LV = "/dev/vg_gfs/lv_data";
const RINDEX: Read = { kind: "exec", argv: ["gfs2_edit", "-p", "rindex", LV] };

/**
 * A smaller filesystem, as gfs2_edit would show it: the recorded resource group index cut
 * to the groups that end within `bytes`, and the LV that such a filesystem fills (whole
 * 4 MiB extents).
 */
function smallerFilesystem(rindex: string, bytes: number): { rindex: string; lvBytes: number } {
  const [head = "", ...groups] = rindex.split(/^(?=RG #\d+$)/m);
  const end = (g: string) => (Number(/ri_data0\s+(\d+)/.exec(g)?.[1]) + Number(/ri_data\s+(\d+)/.exec(g)?.[1])) * BLOCK;
  const last = groups.at(-1) ?? "";
  const footer = last.slice(last.indexOf("-----"));
  const kept = groups.map((g) => (g === last ? g.slice(0, g.indexOf("-----")) : g)).filter((g) => end(g) <= bytes);
  const fsEnd = Math.max(...kept.map(end));
  return { rindex: head.replace(/RG index entries found: \d+/, `RG index entries found: ${kept.length}`) + kept.join("") + footer, lvBytes: Math.ceil(fsEnd / EXTENT) * EXTENT };
}

/** lv_data made smaller than the spec's 3G, on both nodes, with a GFS2 that fills it. */
function smallerLv(r: Recording): void {
  const { rindex, lvBytes } = smallerFilesystem(r.node1?.reads[readKey(RINDEX)]?.stdout ?? "", 2 * GIB);
  answer(r, "node1", RINDEX, { stdout: rindex });
  for (const host of hosts) {
    answer(r, host, lvSizeReads("vg_gfs", "lv_data")[0] as Read, (was) => ({ stdout: was.stdout.replace(String(3 * GIB), String(lvBytes)) }));
    answer(r, host, deviceBytesReads(LV)[0] as Read, { stdout: `${lvBytes}\n` });
  }
}

/** GFS2 not mounted on node1, and crm_mon showing the Filesystem resource stopped there. */
function unmountedOnNode1(r: Recording): void {
  answer(r, "node1", mountReads("/srv/data")[0] as Read, { code: 1, stdout: "" });
  answer(r, "node1", CRM_MON, (was) => ({ stdout: stopped(was.stdout, "data-fs", "node1") }));
}

describe("the checks on the facts of the converged test bed", () => {
  it("has every read the plan's checks make in the recording, but the ones known to be missing", () => {
    const missing = new Set(plan.steps.flatMap((s) => missingReads(recorded(), s).map((key) => `${s.host}: ${key}`)));
    expect([...missing], "record the facts again, and keep NOT_YET_RECORDED to what is still missing").toEqual(NOT_YET_RECORDED.map((key) => `node1: ${key}`));
  });

  it("fails, naming the read and the step, when the recording lacks a read the plan makes", () => {
    const findmnt = readKey(mountReads("/srv/data")[0] as Read);
    const r = drifted((rec) => delete rec.node1?.reads[findmnt]);
    expect(() => judge(r)).toThrow(`${FIXTURE}/node1.facts.json lacks what cluster/gfs2/data/grow reads, so record the facts again:\n${findmnt}`);
  });

  it("finds nothing to do: every check is ok", () => {
    const results = judge(recorded());
    expect(notOk(results)).toEqual({});
    // All but the steps that make a read of NOT_YET_RECORDED were judged.
    expect(plan.steps.filter((s) => !results.has(s.id)).map((s) => s.id)).toEqual(["cluster/lvm/pv/drbd0", "cluster/lvm/vg/vg_gfs"]);
  });

  it("reports corosync.conf edited on node2 as that file's change alone: a token change needs no restart", () => {
    const results = judge(drifted((r) => answer(r, "node2", fileRead("/etc/corosync/corosync.conf"), (was) => ({ stdout: was.stdout.replace("token: 10000", "token: 3000") }))));
    expect(notOk(results)).toEqual({ "node2/corosync/conf": "change: /etc/corosync/corosync.conf differs" });
    expect(results.get("node2/corosync/conf")).toMatchObject({ diff: expect.stringContaining("-     token: 3000\n+     token: 10000") as unknown });
  });

  it("reports pcsd disabled and stopped on node2 as node2's pcsd service step", () => {
    const results = judge(
      drifted((r) => {
        const [enabled, active] = unitReads("pcsd.service") as [Read, Read];
        answer(r, "node2", enabled, { code: 1, stdout: "disabled\n" });
        answer(r, "node2", active, { code: 3, stdout: "inactive\n" });
      }),
    );
    expect(notOk(results)).toEqual({ "node2/service/pcsd.service": "change: enable + start pcsd.service" });
  });

  it("reconnects DRBD where an admin disconnected it (StandAlone), and leaves the side waiting for it alone", () => {
    // GIVEN `drbdadm disconnect r0` on node2: node2 StandAlone, node1 waiting for a connection
    const results = judge(
      drifted((r) => {
        const [cstate, dstate] = drbdReads("r0") as [Read, Read];
        answer(r, "node1", cstate, { stdout: "WFConnection\n" });
        answer(r, "node2", cstate, { stdout: "StandAlone\n" });
        for (const host of hosts) answer(r, host, dstate, { stdout: "UpToDate/DUnknown\n" });
      }),
    );
    expect(notOk(results)).toEqual({ "node2/drbd/r0/up": "change: reconnect r0 (StandAlone): drbdadm adjust" });
  });

  it("waits for the filesystem clone where crm_mon shows it stopped on node2", () => {
    const results = judge(drifted((r) => answer(r, "node1", CRM_MON, (was) => ({ stdout: stopped(stopped(was.stdout, "data-fs", "node2"), "data-lv", "node2") }))));
    expect(notOk(results)).toEqual({ "cluster/wait/filesystems": "change: wait: data-group-clone not Started on node2" });
  });

  it("waits for the filesystem clone where GFS2 is not mounted on node1; grow and journals have nothing to do, so the mount does not matter to them", () => {
    expect(notOk(judge(drifted(unmountedOnNode1)))).toEqual({ "cluster/wait/filesystems": "change: wait: data-group-clone not Started on node1" });
  });

  it("extends an LV smaller than the spec, refreshes node2 and grows the filesystem", () => {
    // GIVEN lv_data at <1.78G with its GFS2 filling it; the spec says 3G
    expect(notOk(judge(drifted(smallerLv)))).toEqual({
      "cluster/lvm/lv/vg_gfs/lv_data/extend": "change: lvextend vg_gfs/lv_data from <1.78G to 3G",
      "node2/lvm/lv/vg_gfs/lv_data/refresh": "change: lvchange --refresh vg_gfs/lv_data after the lvextend to 3G",
      "cluster/gfs2/data/grow": "change: gfs2_grow /srv/data: /dev/vg_gfs/lv_data will be 3G after lvextend, the filesystem <1.78G",
    });
  });

  it("shows the grow pending on the mount when the smaller LV's filesystem is not mounted on node1", () => {
    expect(
      notOk(
        judge(
          drifted((r) => {
            smallerLv(r);
            unmountedOnNode1(r);
          }),
        ),
      ),
    ).toEqual({
      "cluster/lvm/lv/vg_gfs/lv_data/extend": "change: lvextend vg_gfs/lv_data from <1.78G to 3G",
      "node2/lvm/lv/vg_gfs/lv_data/refresh": "change: lvchange --refresh vg_gfs/lv_data after the lvextend to 3G",
      "cluster/wait/filesystems": "change: wait: data-group-clone not Started on node1",
      "cluster/gfs2/data/grow": "pending: gfs2_grow waits for /srv/data to be mounted on node1 (it works only through the mount): /dev/vg_gfs/lv_data will be 3G after lvextend, the filesystem <1.78G",
    });
  });
});

describe("Facts.fromJson", () => {
  it("reads back what toJson wrote", () => {
    const facts = Facts.fromJson(recorded().node1, "node1.facts.json");
    expect(facts.host).toBe("node1");
    expect(Facts.fromJson(facts.toJson(), "again").toJson()).toEqual(facts.toJson());
  });

  it("refuses facts recorded under another schema, and says to record them again", () => {
    const old = { ...recorded().node1, schema: FACTS_SCHEMA - 1 };
    expect(() => Facts.fromJson(old, "old/node1.facts.json")).toThrow(
      expect.objectContaining({ message: `old/node1.facts.json: recorded facts of schema ${FACTS_SCHEMA - 1}; this gfsdeploy reads schema ${FACTS_SCHEMA}`, hint: "record them again: gfsdeploy plan --record-facts DIR SPEC" }),
    );
  });

  it("refuses a read whose result is not an exit code with its output", () => {
    const json = { schema: FACTS_SCHEMA, host: "node1", reads: { "uname -n": { code: "0", stdout: "node1\n", stderr: "" } } };
    expect(() => Facts.fromJson(json, "node1.facts.json")).toThrow("node1.facts.json: the result of uname -n has no exit code, stdout and stderr");
  });
});
