import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";

import { runCli, type CliRun } from "../../support/cli.js";

/**
 * `gfsdeploy validate` end to end through the CLI's single error boundary: what a user sees
 * on stderr, the exit code, and that nothing leaves the machine.
 */

const invalidDir = fileURLToPath(new URL("../../fixtures/invalid/", import.meta.url));
const validSpec = fileURLToPath(new URL("../../fixtures/specs/debian12-lvmlockd/cluster.yaml", import.meta.url));

/** The CLI prints a spec's path relative to the working directory, as the user would type it. */
const shown = (file: string): string => relative(process.cwd(), file);

function validate(...args: string[]): Promise<CliRun> {
  return runCli("validate", ...args);
}

const secretVariables = ["GFSDEPLOY_HACLUSTER_PASSWORD", "IPMI_PASSWORD"];

let connect: MockInstance;
/** A home whose ~/.ssh/id_ed25519 exists: validate also checks the spec's SSH key is there. */
let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "gfsdeploy-validate-home-"));
  mkdirSync(join(home, ".ssh"));
  writeFileSync(join(home, ".ssh", "id_ed25519"), "validate reads no key, it only checks there is one\n", { mode: 0o600 });
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

beforeEach(() => {
  vi.stubEnv("HOME", home);
  // Every TCP or TLS client in Node (ssh2, http, net.connect) ends in Socket#connect. The
  // mock also keeps a regression from really dialling out while the test runs.
  connect = vi.spyOn(Socket.prototype, "connect").mockImplementation(function (this: Socket) {
    return this;
  });
  // The secret checks read the real environment; start each test from a known one.
  for (const name of secretVariables) vi.stubEnv(name, undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("validate on an invalid spec", () => {
  it("prints each problem as file:line:col, path, message and hint, and exits 2", async () => {
    const file = `${invalidDir}unknown-fence-agent.yaml`;
    const result = await validate(file);
    expect(result).toEqual({
      code: 2,
      out: "",
      err: [
        `${shown(file)}:17:35  stonith.devices[0].agent: unknown fence agent 'fence_ipmilann'`,
        "  hint: did you mean 'fence_ipmilan'?",
        "1 problem(s); nothing was contacted or changed.",
        "",
      ].join("\n"),
    });
  });

  it.each([
    ["bad-enum", "5:11  cluster.distro: 'debain12' is not one of: debian13, debian12, ubuntu2404, el9, el8, el7, auto", "did you mean 'debian12'?"],
    ["journals-fewer-than-nodes", "34:15  filesystems[0].journals: 1 journal(s) for 2 nodes: every node that mounts needs its own journal", "set journals to at least 2 (spares let nodes join later without gfs2_jadd)"],
    ["pv-unknown-drbd", "28:13  lvm.volumeGroups[0].pvs[0]: 'drbd/r1' is not a DRBD resource of this spec", "did you mean 'drbd/r0'?"],
    ["stonith-disabled-unacknowledged", "15:12  stonith.enabled: STONITH is disabled without acknowledgement", "GFS2 and DLM need fencing to stay consistent; set acknowledgeDataLossRisk: true only for a throw-away test cluster"],
    // A problem with the whole document has no spec path; the CLI says (root).
    ["yaml-list", "1:1  (root): the spec must be a YAML mapping", "start with apiVersion: gfsdeploy/v1 (see README.md)"],
  ])("%s: exit 2 with the located message and its hint", async (name, located, hint) => {
    const file = `${invalidDir}${name}.yaml`;
    const { code, out, err } = await validate(file);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err.split("\n")).toEqual([`${shown(file)}:${located}`, `  hint: ${hint}`, "1 problem(s); nothing was contacted or changed.", ""]);
  });

  it("counts several problems and never prints a stack trace", async () => {
    // fence-target-unknown gives two diagnostics: the typo and the node it leaves unfenced.
    const { code, err } = await validate(`${invalidDir}fence-target-unknown.yaml`);
    expect(code).toBe(2);
    expect(err.match(/^ {2}hint: /gm)).toHaveLength(2);
    expect(err).toContain("\n2 problem(s); nothing was contacted or changed.\n");
    expect(err).not.toContain("    at ");
    expect(err).not.toContain("internal error");
  });

  it("reports YAML syntax errors as spec problems, not crashes", async () => {
    const { code, err } = await validate(`${invalidDir}yaml-duplicate-key.yaml`);
    expect(code).toBe(2);
    expect(err).toContain("(root): YAML syntax error: Map keys must be unique\n  hint: ");
    expect(err).not.toContain("    at ");
  });

  it("turns a missing spec file into a usage error without a stack trace", async () => {
    const { code, err } = await validate(`${invalidDir}no-such-spec.yaml`);
    expect(code).toBe(2);
    expect(err).toMatch(/^error: cannot read spec .*no-such-spec\.yaml: ENOENT\nhint: /);
    expect(err).not.toContain("    at ");
  });
});

describe("validate and secrets", () => {
  it("accepts a valid spec with --no-secrets although no secret variable is set", async () => {
    const result = await validate("--no-secrets", validSpec);
    expect(result.code).toBe(0);
    expect(result.err).toBe("");
    // The success line names the spec as it was passed on the command line.
    expect(result.out.startsWith(`${validSpec}: `)).toBe(true);
    expect(result.out).toMatch(/: valid \(2 nodes, \d+ steps\)\n$/);
  });

  it("without --no-secrets, exits 2 and names every unset variable", async () => {
    const { code, out, err } = await validate(validSpec);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err.split("\n")).toEqual([
      `${shown(validSpec)}:10:22  secrets.haclusterPassword: environment variable GFSDEPLOY_HACLUSTER_PASSWORD is not set`,
      "  hint: export GFSDEPLOY_HACLUSTER_PASSWORD=… before running gfsdeploy, or use { file: PATH }",
      `${shown(validSpec)}:16:120  stonith.devices[0].options.password: environment variable IPMI_PASSWORD is not set`,
      "  hint: export IPMI_PASSWORD=… before running gfsdeploy, or use { file: PATH }",
      `${shown(validSpec)}:17:120  stonith.devices[1].options.password: environment variable IPMI_PASSWORD is not set`,
      "  hint: export IPMI_PASSWORD=… before running gfsdeploy, or use { file: PATH }",
      "3 problem(s); nothing was contacted or changed.",
      "",
    ]);
  });

  it("exits 0 once the variables are set, and never prints their values", async () => {
    vi.stubEnv("GFSDEPLOY_HACLUSTER_PASSWORD", "hacluster-secret-value");
    vi.stubEnv("IPMI_PASSWORD", "ipmi-secret-value");
    const { code, out, err } = await validate(validSpec);
    expect(code).toBe(0);
    expect(err).toBe("");
    expect(out + err).not.toMatch(/secret-value/);
  });
});

describe("validate contacts no host", () => {
  it("the guard sees a connection when one is made", () => {
    // Proves the spy below is not vacuous: net's own client goes through Socket#connect.
    createConnection({ host: "192.0.2.1", port: 22 });
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it("opens no connection for a valid spec", async () => {
    vi.stubEnv("GFSDEPLOY_HACLUSTER_PASSWORD", "x");
    vi.stubEnv("IPMI_PASSWORD", "y");
    expect((await validate(validSpec)).code).toBe(0);
    expect(connect).not.toHaveBeenCalled();
  });

  it("opens no connection for an invalid spec", async () => {
    expect((await validate(`${invalidDir}node-without-fence-device.yaml`)).code).toBe(2);
    expect(connect).not.toHaveBeenCalled();
  });
});
