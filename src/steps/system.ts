import { execRead } from "../probes/facts.js";
import { fileReads, installedPackages, packagesReads, unitReads, unitState } from "../probes/node.js";
import type { StepHandler } from "./types.js";
import { run } from "./util.js";

export const packages: StepHandler<"packages"> = {
  reads: (step) => packagesReads(step.params.manager, step.params.names),
  check(step, f) {
    const have = installedPackages(f, step.params.manager, step.params.names);
    const missing = step.params.names.filter((n) => !have.has(n));
    return missing.length === 0 ? { status: "ok" } : { status: "change", reason: `install ${missing.join(" ")}` };
  },
  async apply(step, ctx, f) {
    const have = installedPackages(f, step.params.manager, step.params.names);
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

const uname = execRead("uname", "-n");

export const hostname: StepHandler<"hostname"> = {
  reads: () => [uname],
  check(step, f) {
    const current = f.get(uname).stdout.trim();
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
  reads: () => fileReads("/etc/hosts"),
  check(step, f) {
    const current = f.file("/etc/hosts") ?? "";
    return withHostsBlock(current, step.params.entries) === current ? { status: "ok" } : { status: "change", reason: "node names block in /etc/hosts" };
  },
  async apply(step, ctx, f) {
    const current = f.file("/etc/hosts") ?? "";
    await ctx.t.writeFile("/etc/hosts", withHostsBlock(current, step.params.entries), { mode: 0o644 });
  },
};

export const service: StepHandler<"service"> = {
  reads: (step) => unitReads(step.params.unit),
  check(step, f) {
    const { unit, enabled, active } = step.params;
    const s = unitState(f, unit);
    // A unit the packages step has yet to install is a change, not a refusal.
    if (!s.exists) return enabled ? { status: "change", reason: `${unit} (not installed yet)` } : { status: "ok", note: "not installed" };
    const wrong: string[] = [];
    if (s.enabled !== enabled) wrong.push(enabled ? "enable" : "disable");
    if (active !== undefined && s.active !== active) wrong.push(active ? "start" : "stop");
    return wrong.length === 0 ? { status: "ok" } : { status: "change", reason: `${wrong.join(" + ")} ${unit}` };
  },
  async apply(step, ctx, f) {
    const { unit, enabled, active } = step.params;
    const s = unitState(f, unit);
    if (s.enabled !== enabled) await run(ctx, "systemctl", [enabled ? "enable" : "disable", unit]);
    if (active !== undefined && s.active !== active) await run(ctx, "systemctl", [active ? "start" : "stop", unit]);
  },
};
