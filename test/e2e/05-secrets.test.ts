/**
 * No secret leaks: after every other e2e file has run (first apply, drift, bench, faults),
 * one more apply and plan with --json and --verbose, then a scan of everything gfsdeploy
 * printed in the whole run and of the nodes' journals, shell history, logs and state for the
 * hacluster password and the corosync authkey (raw, base64 and hex). The test bed's fencing
 * (fence_sbd) has no password; fence passwords are covered by the unit tests of secret-file.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { both, gfsdeploy, on, phaseTimer, SPEC, tryOn } from "./support.js";
import { TRANSCRIPT } from "./transcript.js";
import { execa } from "execa";
import { sshArgs } from "../../src/testbed/vm.js";

const timed = phaseTimer("secrets");
const cache = join(homedir(), ".cache/gfsdeploy/testbed");

/** The secrets and the ways they could show up in text. */
function needles(): { name: string; bytes: Buffer }[] {
  const password = readFileSync(join(cache, "hacluster-password")).toString().replace(/\n$/, "");
  const authkey = readFileSync(join(cache, "authkey"));
  return [
    { name: "hacluster password", bytes: Buffer.from(password) },
    { name: "authkey (raw, first 32 bytes)", bytes: authkey.subarray(0, 32) },
    { name: "authkey (base64)", bytes: Buffer.from(authkey.toString("base64").slice(0, 40)) },
    { name: "authkey (hex)", bytes: Buffer.from(authkey.subarray(0, 24).toString("hex")) },
  ];
}

/**
 * Searches a node's journal (binary export, so raw bytes count too), shell history, logs,
 * gfsdeploy's own state and the CIB; the needles arrive on stdin, never on a command line.
 * The authkey's own home, /etc/corosync/authkey, is the one place it belongs.
 */
const SCAN = `
import json, os, subprocess, sys
needles = [(n, bytes.fromhex(h)) for n, h in json.load(sys.stdin)]
hits = []
journal = subprocess.run(["journalctl", "--no-pager", "-o", "export"], stdout=subprocess.PIPE).stdout
for name, needle in needles:
    if needle in journal:
        hits.append("journal: " + name)
roots = ["/root", "/var/log", "/var/lib/gfsdeploy", "/run/gfsdeploy", "/var/lib/pacemaker/cib", "/tmp", "/etc/gfsdeploy"]
for root in roots:
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            for name, needle in needles:
                if needle in data:
                    hits.append(p + ": " + name)
print(json.dumps({"hits": hits, "journalBytes": len(journal)}))
`;

describe("secrets never leak", () => {
  it("a verbose JSON apply and plan, everything printed in this run, and the nodes hold no secret outside its file", async () => {
    const apply = await timed("apply --json --verbose", () => gfsdeploy("apply", SPEC, "--yes", "--json", "--verbose"));
    expect(apply.code, apply.out).toBe(0);
    const plan = await timed("plan --json --verbose", () => gfsdeploy("plan", SPEC, "--json", "--verbose"));
    expect(plan.code, plan.out).toBe(0);
    // Every step reported what its check found (a scan of nothing would find nothing).
    expect(apply.out.match(/"type":"step-check"/g)?.length ?? 0).toBeGreaterThan(40);

    const local = readFileSync(TRANSCRIPT);
    expect(local.length).toBeGreaterThan(10_000);
    const secrets = needles();
    for (const n of secrets) expect(local.includes(n.bytes), `${n.name} in gfsdeploy's output`).toBe(false);

    const stdin = JSON.stringify(secrets.map((n) => [n.name, n.bytes.toString("hex")]));
    for (const node of both) {
      const r = await execa("ssh", sshArgs(node, ["python3", "-c", `'${SCAN}'`]), { input: stdin, reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { hits: string[]; journalBytes: number };
      expect(result.journalBytes, `${node}'s journal was read`).toBeGreaterThan(100_000);
      expect(result.hits, `secrets found on ${node}`).toEqual([]);
    }
  });

  it("the authkey on the nodes is mode 0400 root, and the test bed's local secrets are 0600", async () => {
    for (const node of both) expect(await on(node, "stat -c '%a %U %G' /etc/corosync/authkey")).toBe("400 root root");
    for (const file of ["hacluster-password", "authkey"]) {
      const r = await execa("stat", ["-c", "%a", join(cache, file)]);
      expect(r.stdout, file).toBe("600");
    }
    // The password itself never reached a node's disk: only its hash, in /etc/shadow.
    for (const node of both) expect((await tryOn(node, "grep -c '^hacluster:\\$' /etc/shadow")).out).toBe("1");
  });
});
