import { execRead, type Read } from "../probes/facts.js";
import type { StepHandler } from "./types.js";
import { run } from "./util.js";

/**
 * Compares the password with the shadow hash on the node; the password travels on stdin only.
 * Exit 0: it matches; 1: it does not, or the account is absent or has no usable hash (empty,
 * `!` locked, `*`). It calls the system's libcrypt through ctypes rather than the `crypt`
 * module, which Python 3.13 (Debian 13) removed: ctypes is in every interpreter a target runs
 * (2.7 on EL7 to 3.13), and libcrypt is what chpasswd hashed with, so it knows the node's
 * schemes (SHA-512 `$6$`, yescrypt `$y$`, Debian's default). find_library may find nothing
 * where ldconfig is not at hand, hence the soname every target's libcrypt has. Bytes
 * throughout, so Python 2 and 3 hand libcrypt the same thing. The optional second argument,
 * the shadow file, is for tests; on the node the only argument is the user name.
 */
export const VERIFY_PASSWORD = `
import ctypes, ctypes.util, os, sys
user = getattr(os, "fsencode", lambda name: name)(sys.argv[1])
shadow = sys.argv[2] if len(sys.argv) > 2 else "/etc/shadow"
password = getattr(sys.stdin, "buffer", sys.stdin).read()
hashes = [line.rstrip(b"\\n").split(b":")[1] for line in open(shadow, "rb") if line.startswith(user + b":")]
if not hashes or hashes[0][:1] in (b"", b"!", b"*"):
    sys.exit(1)
libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
libcrypt.crypt.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
libcrypt.crypt.restype = ctypes.c_char_p
sys.exit(0 if libcrypt.crypt(password, hashes[0]) == hashes[0] else 1)
`;

/** The comparison as a read: the password reaches the command on stdin, from the batch's own. */
const passwordRead = (p: { python: string; user: string; secret: string }): Read => ({ kind: "exec", argv: [p.python, "-c", VERIFY_PASSWORD, p.user], secret: p.secret });

export const haclusterPassword: StepHandler<"hacluster-password"> = {
  reads: (step) => [passwordRead(step.params)],
  check(step, f) {
    const r = f.get(passwordRead(step.params));
    return r.code === 0 ? { status: "ok" } : { status: "change", reason: `set the ${step.params.user} password (not shown: secret)` };
  },
  async apply(step, ctx) {
    await run(ctx, "chpasswd", [], { stdin: Buffer.concat([Buffer.from(`${step.params.user}:`), ctx.secrets.get(step.params.secret), Buffer.from("\n")]) });
  },
};

/**
 * The node names pcs holds tokens for, one a line: pcs 0.10+ records them in known-hosts, pcs
 * 0.9 in tokens. Only the names leave the node, never the tokens. Nothing printed (exit 1)
 * when the file is missing or unreadable: then no node is authenticated.
 */
export const AUTHENTICATED_NAMES = `
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
for name in sorted(data.get(sys.argv[2]) or {}):
    print(name)
`;

const authRead = (p: { dialect: string; python: string }): Read =>
  p.dialect === "0.9" ? execRead(p.python, "-c", AUTHENTICATED_NAMES, "/var/lib/pcsd/tokens", "tokens") : execRead(p.python, "-c", AUTHENTICATED_NAMES, "/var/lib/pcsd/known-hosts", "known_hosts");

export const pcsAuth: StepHandler<"pcs-auth"> = {
  reads: (step) => [authRead(step.params)],
  check(step, f) {
    const r = f.get(authRead(step.params));
    const names = r.code === 0 ? r.stdout.split("\n").filter((n) => n !== "") : [];
    const missing = step.params.nodes.filter((n) => !names.includes(n.name));
    return missing.length ? { status: "change", reason: `pcs host auth ${missing.map((n) => n.name).join(" ")}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    // pcs asks for the password when -p is absent and reads it from stdin without a tty.
    const password = Buffer.concat([ctx.secrets.get(step.params.secret), Buffer.from("\n")]);
    const args =
      step.params.dialect === "0.9"
        ? ["cluster", "auth", ...step.params.nodes.map((n) => n.name), "-u", "hacluster"]
        : ["host", "auth", ...step.params.nodes.flatMap((n) => [n.name, `addr=${n.address}`]), "-u", "hacluster"];
    await run(ctx, "pcs", args, { stdin: password });
  },
};
