/**
 * The hacluster-password check's script (VERIFY_PASSWORD), exactly as the step sends it, run by
 * each interpreter a target runs it with: 2.7 (EL7), 3.6 (EL8 platform-python), 3.9 (EL9),
 * 3.11 (Debian 12, /usr/bin/python3), 3.12 (Ubuntu 24.04) and 3.13 (Debian 13, which has no
 * `crypt` module). The pyenv ones come from ~/.pyenv, as in scripts.test.ts; where one is
 * missing its tests skip saying so, and fail under CI (see needs.ts). The shadow file holds
 * real hashes from this machine's libcrypt (libxcrypt): SHA-512 and Debian's default yescrypt.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";

import { VERIFY_PASSWORD } from "../../src/steps/pcs.js";
import { needs } from "../support/needs.js";
import { scratchDir } from "../support/scratch.js";

const pyenv = (version: string) => ({ path: `${process.env.HOME ?? "/root"}/.pyenv/versions/${version}/bin/python`, get: `pyenv installs it (\`pyenv install ${version}\`)` });

const interpreters = [
  { name: "python 2.7 (EL7)", ...pyenv("2.7.18") },
  { name: "python 3.6 (EL8 platform-python)", ...pyenv("3.6.15") },
  { name: "python 3.9 (EL9)", ...pyenv("3.9.18") },
  { name: "python3 (Debian 12)", path: "/usr/bin/python3", get: "apt-get install python3 (.ci/install-deps does)" },
  { name: "python 3.12 (Ubuntu 24.04)", ...pyenv("3.12.1") },
  { name: "python 3.13 (Debian 13)", ...pyenv("3.13.0") },
];

// Not ASCII, with a space: Python 2 and 3 must hand libcrypt the same bytes chpasswd hashed.
const PASSWORD = "c0rrect hörse bättery";

/** Hashes PASSWORD with the given setting through Debian 12's python3 `crypt` module (libxcrypt). */
async function hash(setting: string): Promise<string> {
  const r = await execa("/usr/bin/python3", ["-W", "ignore", "-c", "import crypt, sys; sys.stdout.write(crypt.crypt(sys.stdin.read(), sys.argv[1]))", setting], { input: PASSWORD });
  return r.stdout;
}

let shadow: string;
let sha512: string;
let yescrypt: string;

beforeAll(async () => {
  sha512 = await hash("$6$gfsdeploySalt01$");
  yescrypt = await hash("$y$j9T$abcdefghijklmnopqrstu.");
  shadow = join(scratchDir("shadow"), "shadow");
  writeFileSync(
    shadow,
    [
      `root:${sha512}:19700:0:99999:7:::`,
      // Lines whose user name starts like another's must not stand in for it.
      `sha512-old:!:19700:0:99999:7:::`,
      `sha512:${sha512}:19700:0:99999:7:::`,
      `yescrypt:${yescrypt}:19700:0:99999:7:::`,
      // usermod -L puts `!` before the hash: the right password must not count.
      `locked:!${sha512}:19700:0:99999:7:::`,
      `nologin:*:19700:0:99999:7:::`,
      `empty::19700:0:99999:7:::`,
      "",
    ].join("\n"),
  );
});

it("the hashes are real SHA-512 and yescrypt ones", () => {
  expect(sha512).toMatch(/^\$6\$gfsdeploySalt01\$[./0-9A-Za-z]{86}$/);
  expect(yescrypt).toMatch(/^\$y\$j9T\$abcdefghijklmnopqrstu\.\$[./0-9A-Za-z]{43}$/);
});

const cases: { given: string; user: string; password: string; outcome: string; code: number }[] = [
  { given: "SHA-512, right password", user: "sha512", password: PASSWORD, outcome: "exit 0, matches", code: 0 },
  { given: "SHA-512, wrong password", user: "sha512", password: "c0rrect horse battery", outcome: "exit 1, does not match", code: 1 },
  { given: "yescrypt, right password", user: "yescrypt", password: PASSWORD, outcome: "exit 0, matches", code: 0 },
  { given: "yescrypt, wrong password", user: "yescrypt", password: `${PASSWORD}\n`, outcome: "exit 1, does not match", code: 1 },
  { given: "a locked hash of the right password", user: "locked", password: PASSWORD, outcome: "exit 1, does not match", code: 1 },
  { given: "no login (*)", user: "nologin", password: PASSWORD, outcome: "exit 1, does not match", code: 1 },
  { given: "an empty hash, empty password", user: "empty", password: "", outcome: "exit 1, does not match", code: 1 },
  { given: "a user not in the file", user: "hacluster", password: PASSWORD, outcome: "exit 1, does not match", code: 1 },
];

describe.each(interpreters)("$name", ({ name, path, get }) => {
  const present = existsSync(path);

  it.for(cases)("$given: $outcome", async ({ user, password, code }, ctx) => {
    needs(ctx, present, `${name} at ${path}`, get);
    const r = await execa(path, ["-c", VERIFY_PASSWORD, user, shadow], { input: Buffer.from(password), reject: false, all: true });
    expect(r.all, "the script prints nothing, not even a warning").toBe("");
    expect(r.exitCode).toBe(code);
  });
});
