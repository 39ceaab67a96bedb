import type { StepContext, StepHandler } from "./types.js";
import { probe, run } from "./util.js";

/** Which of `names` the package manager reports installed. */
async function installed(ctx: Parameters<StepHandler<"packages">["check"]>[1], manager: "apt" | "dnf" | "yum", names: string[]): Promise<Set<string>> {
  if (manager === "apt") {
    const r = await probe(ctx, "dpkg-query", ["-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", ...names]);
    return new Set(r.stdout.split("\n").filter((l) => /\tii/.test(l)).map((l) => l.split("\t")[0] as string));
  }
  const r = await probe(ctx, "rpm", ["-q", "--qf", "%{NAME}\\n", ...names]);
  return new Set(r.stdout.split("\n").filter((l) => names.includes(l.trim())).map((l) => l.trim()));
}

export const packages: StepHandler<"packages"> = {
  async check(step, ctx) {
    const have = await installed(ctx, step.params.manager, step.params.names);
    const missing = step.params.names.filter((n) => !have.has(n));
    return missing.length === 0 ? { status: "ok" } : { status: "change", reason: `install ${missing.join(" ")}` };
  },
  async apply(step, ctx) {
    const have = await installed(ctx, step.params.manager, step.params.names);
    const missing = step.params.names.filter((n) => !have.has(n));
    if (step.params.manager === "apt") {
      const env = { DEBIAN_FRONTEND: "noninteractive" };
      await run(ctx, "apt-get", ["update", "-q"], { env });
      await run(ctx, "apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { env });
    } else {
      await run(ctx, step.params.manager, ["install", "-y", ...missing]);
    }
  },
};

export const hostname: StepHandler<"hostname"> = {
  async check(step, ctx) {
    const current = (await run(ctx, "uname", ["-n"])).stdout.trim();
    return current === step.params.name ? { status: "ok" } : { status: "change", reason: `hostname ${current} → ${step.params.name}` };
  },
  async apply(step, ctx) {
    await run(ctx, "hostnamectl", ["set-hostname", step.params.name]);
  },
};

const BEGIN = "# BEGIN gfsdeploy: cluster node names";
const END = "# END gfsdeploy";

/** /etc/hosts with our block replaced (or appended), the rest untouched. */
export function withHostsBlock(current: string, entries: { address: string; names: string[] }[]): string {
  const block = [BEGIN, ...entries.map((e) => `${e.address} ${e.names.join(" ")}`), END].join("\n");
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END, start);
  if (start >= 0 && end > start) return current.slice(0, start) + block + current.slice(end + END.length);
  return `${current.replace(/\n*$/, "")}\n${block}\n`;
}

export const hosts: StepHandler<"hosts"> = {
  async check(step, ctx) {
    const current = (await ctx.t.readFile("/etc/hosts"))?.toString() ?? "";
    return withHostsBlock(current, step.params.entries) === current ? { status: "ok" } : { status: "change", reason: "node names block in /etc/hosts" };
  },
  async apply(step, ctx) {
    const current = (await ctx.t.readFile("/etc/hosts"))?.toString() ?? "";
    await ctx.t.writeFile("/etc/hosts", withHostsBlock(current, step.params.entries), { mode: 0o644 });
  },
};

/** A systemd unit as systemctl reports it here: installed, enabled (also enabled-runtime), active. */
export async function unitState(ctx: StepContext, unit: string): Promise<{ exists: boolean; enabled: boolean; active: boolean }> {
  const enabled = await probe(ctx, "systemctl", ["is-enabled", unit]);
  const active = await probe(ctx, "systemctl", ["is-active", unit]);
  const state = enabled.stdout.trim();
  const exists = !(state === "" || /not-found|No such file/.test(enabled.stdout + enabled.stderr));
  return { exists, enabled: state === "enabled" || state === "enabled-runtime", active: active.stdout.trim() === "active" };
}

export const service: StepHandler<"service"> = {
  async check(step, ctx) {
    const { unit, enabled, active } = step.params;
    const s = await unitState(ctx, unit);
    // A unit the packages step has yet to install is a change, not a refusal.
    if (!s.exists) return enabled ? { status: "change", reason: `${unit} (not installed yet)` } : { status: "ok", note: "not installed" };
    const wrong: string[] = [];
    if (s.enabled !== enabled) wrong.push(enabled ? "enable" : "disable");
    if (active !== undefined && s.active !== active) wrong.push(active ? "start" : "stop");
    return wrong.length === 0 ? { status: "ok" } : { status: "change", reason: `${wrong.join(" + ")} ${unit}` };
  },
  async apply(step, ctx) {
    const { unit, enabled, active } = step.params;
    const s = await unitState(ctx, unit);
    if (s.enabled !== enabled) await run(ctx, "systemctl", [enabled ? "enable" : "disable", unit]);
    if (active !== undefined && s.active !== active) await run(ctx, "systemctl", [active ? "start" : "stop", unit]);
  },
};
