import { generateKeyPairSync } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, Socket, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";

import { runCli } from "../../support/cli.js";

/**
 * Bad input to the commands that contact nodes (live `plan`, `apply --yes`, `status`): each
 * spec under test/fixtures/invalid-cli/ must end in exit 2 with every problem located in the
 * spec and a hint, and with no node contacted. The specs' nodes are 127.0.0.1 on the ports
 * of two TCP servers this file starts, which count every connection they accept; the
 * fixtures hold `@PORT1@` and `@PORT2@` in their place (a YAML syntax error until replaced).
 * `valid-control.yaml` differs from the others only by being valid, and it does reach the
 * servers: that is what makes their count of 0 mean something.
 */

const fixtureDir = fileURLToPath(new URL("../../fixtures/invalid-cli/", import.meta.url));
const UNSET = "GFSDEPLOY_TEST_BAD_INPUT_UNSET";
const NOTHING_CONTACTED = "problem(s); nothing was contacted or changed.";

/** `at` is line:col in the fixture; `<dir>` stands for the directory the spec was copied to. */
type Problem = [at: string, path: string, message: string, hint: string];

const keyHint = "fix the path (relative paths are relative to the spec file), or create a key with ssh-keygen -t ed25519 and install it on every node with ssh-copy-id";
const secretFileHint = "create it (mode 0600) or fix the path; relative paths are relative to the spec file";
const unsetHint = `export ${UNSET}=… before running gfsdeploy, or use { file: PATH }`;

const cases: Record<string, { problems: Problem[]; readsSecrets?: boolean }> = {
  "schema-error": { problems: [["11:20", "corosync.token", "must be a whole number", "write token as a whole number"]] },
  "semantic-error": {
    problems: [
      ["22:76", "filesystems[0].journals", "1 journal(s) for 2 nodes: every node that mounts needs its own journal", "set journals to at least 2 (spares let nodes join later without gfs2_jadd)"],
    ],
  },
  "yaml-syntax-error": {
    problems: [
      ["5:1", "(root)", "YAML syntax error: All mapping items must start at the same column", "fix the YAML syntax at that position (indentation, a missing ':' or an unclosed quote or bracket)"],
    ],
  },
  "unknown-fence-agent": { problems: [["13:35", "stonith.devices[0].agent", "unknown fence agent 'fence_ipmilann'", "did you mean 'fence_ipmilan'?"]] },
  "secret-env-unset": {
    readsSecrets: true,
    problems: [["9:22", "secrets.haclusterPassword", `environment variable ${UNSET} is not set`, unsetHint]],
  },
  "secret-file-missing": {
    readsSecrets: true,
    problems: [["14:120", "stonith.devices[1].options.password", "secret file ./secrets/no-such-password cannot be read", secretFileHint]],
  },
  "identity-file-missing": { problems: [["4:22", "ssh.identityFile", "identity file ./no-such-key (<dir>/no-such-key) does not exist", keyHint]] },
  // As root, a mode-000 file is still readable; a directory is what root cannot use as a key.
  "identity-file-directory": {
    problems: [["4:22", "ssh.identityFile", "identity file ./secrets (<dir>/secrets) is not a regular file", "point ssh.identityFile at the private key file itself, such as ~/.ssh/id_ed25519"]],
  },
  "identity-file-unreadable": {
    problems: [["4:22", "ssh.identityFile", "identity file ./id_locked (<dir>/id_locked) cannot be read", "make it readable by the user who runs gfsdeploy (owned by that user, mode 0600)"]],
  },
  // Not set at all: the position is the ssh block it belongs in.
  "identity-file-unset": {
    problems: [
      ["4:6", "ssh.identityFile", "no private key to log in to the nodes with", "set ssh.identityFile to the private key gfsdeploy logs in with, such as ~/.ssh/id_ed25519 (an ssh agent is not used)"],
    ],
  },
  "known-hosts-dir-missing": {
    problems: [
      [
        "4:45",
        "ssh.knownHosts",
        "the directory of known hosts file ./no-such-dir/known_hosts (<dir>/no-such-dir/known_hosts) does not exist",
        "create it (mkdir -m 700 <dir>/no-such-dir) or point ssh.knownHosts at a file in an existing directory",
      ],
    ],
  },
  "known-hosts-not-a-file": {
    problems: [
      ["4:45", "ssh.knownHosts", "known hosts file ./secrets (<dir>/secrets) is not a regular file", "point ssh.knownHosts at an OpenSSH known_hosts file the user who runs gfsdeploy can read"],
    ],
  },
  "several-local-problems": {
    readsSecrets: true,
    problems: [
      ["4:22", "ssh.identityFile", "identity file ./no-such-key (<dir>/no-such-key) does not exist", keyHint],
      ["9:22", "secrets.haclusterPassword", `environment variable ${UNSET} is not set`, unsetHint],
      ["14:120", "stonith.devices[1].options.password", "secret file ./secrets/no-such-password cannot be read", secretFileHint],
    ],
  },
};

/**
 * Root reads a mode-000 file all the same; what root cannot read is a symlink that points at
 * itself (ELOOP), so as root that stands in for the unreadable key.
 */
const asRoot = process.getuid?.() === 0;

let dir: string;
let servers: Server[];
let accepted: number;
let dialled: MockInstance;

function listen(): Promise<Server> {
  const server = createServer((socket) => {
    accepted += 1;
    socket.destroy();
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done(server)));
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

beforeAll(async () => {
  servers = [await listen(), await listen()];
  dir = mkdtempSync(join(tmpdir(), "gfsdeploy-bad-input-"));
  cpSync(fixtureDir, dir, { recursive: true });
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    const text = readFileSync(join(dir, name), "utf8");
    writeFileSync(join(dir, name), text.replaceAll("@PORT1@", String(portOf(servers[0]!))).replaceAll("@PORT2@", String(portOf(servers[1]!))));
  }
  // The invalid specs never read the key; the control needs one ssh2 can parse to get as far
  // as dialling. It is made here so no private key, however fake, sits in the repository.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "pkcs1", format: "pem" } });
  writeFileSync(join(dir, "id_test"), privateKey, { mode: 0o600 });
  if (asRoot) symlinkSync("id_locked", join(dir, "id_locked"));
  else {
    writeFileSync(join(dir, "id_locked"), privateKey, { mode: 0o000 });
    chmodSync(join(dir, "id_locked"), 0o000);
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  accepted = 0;
  // Every TCP client in Node ends in Socket#connect: this also catches a dial to any other
  // address (a ring or fence address). It only watches; the control really connects.
  dialled = vi.spyOn(Socket.prototype, "connect");
  vi.stubEnv(UNSET, undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const specPath = (name: string): string => join(dir, `${name}.yaml`);
/** The CLI prints a spec's path relative to the working directory. */
const shown = (name: string): string => relative(process.cwd(), specPath(name));

function expectedErr(name: string, problems: readonly Problem[]): string {
  const lines = problems.flatMap(([at, path, message, hint]) => [`${shown(name)}:${at}  ${path}: ${message}`, `  hint: ${hint}`]);
  return [...lines, `${problems.length} ${NOTHING_CONTACTED}`, ""].join("\n").replaceAll("<dir>", dir);
}

describe("the invalid-cli corpus", () => {
  const specs = readdirSync(fixtureDir).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -".yaml".length));

  it("has an expectation for every invalid spec and a spec for every expectation", () => {
    expect(specs.filter((s) => s !== "valid-control").sort()).toEqual(Object.keys(cases).sort());
  });

  it("says in each file's first line what is wrong and dials only the test's ports", () => {
    for (const name of specs) {
      const text = readFileSync(`${fixtureDir}${name}.yaml`, "utf8");
      expect(text.split("\n")[0], name).toMatch(/^# \S/);
      expect(text, name).toContain("host: 127.0.0.1, ring0: 192.0.2.1, ssh: { port: @PORT1@ }");
      expect(text, name).toContain("host: 127.0.0.1, ring0: 192.0.2.2, ssh: { port: @PORT2@ }");
    }
  });
});

describe("the control: a valid spec does reach the counting servers", () => {
  it("plan dials both nodes and fails on the servers that are not sshd (exit 1)", async () => {
    const { code, err } = await runCli("plan", specPath("valid-control"));
    expect(code).toBe(1);
    expect(err).toMatch(/^error: node1 \(127\.0\.0\.1:\d+\): /);
    expect(accepted).toBe(2);
    expect(dialled).toHaveBeenCalled();
  });
});

const commands: [string, string[]][] = [
  ["plan", []],
  ["apply", ["--yes"]],
  ["status", []],
];

describe.each(commands)("%s on bad input", (command, flags) => {
  // status reads no secrets, so a missing one is no reason for it to stop.
  const applicable = Object.entries(cases).filter(([, c]) => command !== "status" || !c.readsSecrets);

  it.for(applicable)("%s: exit 2, each problem located with a hint, no node contacted", async ([name, { problems }]) => {
    const { code, out, err } = await runCli(command, specPath(name), ...flags);
    expect(err).toBe(expectedErr(name, problems));
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).not.toContain("    at ");
    expect(err).not.toContain("internal error");
    expect(accepted).toBe(0);
    expect(dialled).not.toHaveBeenCalled();
  });
});

describe("the SSH key check belongs to the commands that log in, and validate", () => {
  const name = "identity-file-missing";

  it("validate reports it like plan does", async () => {
    expect(await runCli("validate", specPath(name))).toEqual({ code: 2, out: "", err: expectedErr(name, cases[name]!.problems) });
  });

  it("validate --no-secrets skips it with the secrets", async () => {
    expect((await runCli("validate", "--no-secrets", specPath(name))).code).toBe(0);
  });

  it("plan --offline and render touch nothing and do not ask for it", async () => {
    expect((await runCli("plan", "--offline", specPath(name))).code).toBe(0);
    const out = join(dir, "rendered");
    expect((await runCli("render", specPath(name), "--out", out)).code).toBe(0);
    expect(existsSync(join(out, "cluster", "pcs.txt"))).toBe(true);
    expect(accepted).toBe(0);
    expect(dialled).not.toHaveBeenCalled();
  });
});
