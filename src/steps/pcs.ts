import type { StepHandler } from "./types.js";
import { probe, run } from "./util.js";

/**
 * Compares the password with the shadow hash on the node; the password travels on stdin only.
 * Python 2.7 (EL7) to 3.12: `crypt` left the standard library only in 3.13, which no target ships.
 */
const VERIFY_PASSWORD = `
import crypt, sys
user = sys.argv[1]
password = sys.stdin.read()
hashes = [line.split(":")[1] for line in open("/etc/shadow") if line.startswith(user + ":")]
ok = bool(hashes) and hashes[0][:1] not in ("", "!", "*") and crypt.crypt(password, hashes[0]) == hashes[0]
sys.exit(0 if ok else 1)
`;

export const haclusterPassword: StepHandler<"hacluster-password"> = {
  async check(step, ctx) {
    const r = await probe(ctx, step.params.python, ["-W", "ignore", "-c", VERIFY_PASSWORD, step.params.user], { stdin: ctx.secrets.get(step.params.secret) });
    return r.code === 0 ? { status: "ok" } : { status: "change", reason: `set the ${step.params.user} password (not shown: secret)` };
  },
  async apply(step, ctx) {
    await run(ctx, "chpasswd", [], { stdin: Buffer.concat([Buffer.from(`${step.params.user}:`), ctx.secrets.get(step.params.secret), Buffer.from("\n")]) });
  },
};

export const pcsAuth: StepHandler<"pcs-auth"> = {
  async check(step, ctx) {
    // pcs 0.10+ records authenticated nodes in known-hosts, pcs 0.9 in tokens.
    const legacy = step.params.dialect === "0.9";
    const text = (await ctx.t.readFile(legacy ? "/var/lib/pcsd/tokens" : "/var/lib/pcsd/known-hosts"))?.toString();
    let names: string[] = [];
    try {
      const parsed = JSON.parse(text ?? "{}") as { known_hosts?: Record<string, unknown>; tokens?: Record<string, unknown> };
      names = Object.keys((legacy ? parsed.tokens : parsed.known_hosts) ?? {});
    } catch {
      names = [];
    }
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
