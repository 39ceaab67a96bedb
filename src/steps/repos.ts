import { execRead, type Facts, type Read } from "../probes/facts.js";
import type { Step } from "../plan/types.js";
import type { StepHandler } from "./types.js";
import { run } from "./util.js";

/** Repository ids in `dnf/yum repolist` output: the first column after the header, without yum's `/7/x86_64` or `!`/`*` marks. */
export function repoIds(repolist: string): Set<string> {
  const ids = new Set<string>();
  let table = false;
  for (const line of repolist.split("\n")) {
    if (/^repo id\s/.test(line)) {
      table = true;
      continue;
    }
    const first = line.trim().split(/\s+/)[0];
    if (!table || !first || /^repolist:/.test(line)) continue;
    ids.add(first.replace(/^[!*]+/, "").split("/")[0] ?? first);
  }
  return ids;
}

type Repos = Step<"repos">["params"];

const releasesRead = (p: Repos): Read => execRead("rpm", "-q", "--qf", "%{NAME}\\n", ...p.releasePackages.map((r) => r.name));
const listRead = (p: Repos, which: "enabled" | "all"): Read => execRead(p.manager, "repolist", p.manager === "yum" ? which : `--${which}`);

function state(p: Repos, f: Facts) {
  const installed = p.releasePackages.length ? f.get(releasesRead(p)).stdout.split("\n") : [];
  const missingReleases = p.releasePackages.filter((r) => !installed.includes(r.name));
  const enabled = repoIds(f.get(listRead(p, "enabled")).stdout);
  const disabled = p.enable.filter((id) => !enabled.has(id));
  return { missingReleases, disabled };
}

export const repos: StepHandler<"repos"> = {
  reads: (step) => [...(step.params.releasePackages.length ? [releasesRead(step.params)] : []), listRead(step.params, "enabled"), listRead(step.params, "all")],
  check(step, f) {
    const { missingReleases, disabled } = state(step.params, f);
    if (disabled.length > 0) {
      const all = repoIds(f.get(listRead(step.params, "all")).stdout);
      const unknown = disabled.filter((id) => !all.has(id));
      if (unknown.length > 0) {
        return {
          status: "refuse",
          reason: `no repository ${unknown.join(", ")} is defined on this node`,
          hint: "set cluster.repos to this distribution's HighAvailability and ResilientStorage repository ids (`dnf repolist --all` lists them; RHEL: rhel-9-for-x86_64-highavailability-rpms and rhel-9-for-x86_64-resilientstorage-rpms, enabled through subscription-manager)",
        };
      }
    }
    const todo = [...missingReleases.map((r) => `install ${r.name}`), ...(disabled.length ? [`enable ${disabled.join(" ")}`] : [])];
    return todo.length === 0 ? { status: "ok" } : { status: "change", reason: todo.join(", ") };
  },
  async apply(step, ctx, f) {
    const p = step.params;
    const { missingReleases, disabled } = state(p, f);
    if (missingReleases.length > 0) await run(ctx, p.manager, ["install", "-y", ...missingReleases.map((r) => r.url)]);
    if (disabled.length > 0) {
      if (p.manager === "yum") await run(ctx, "yum-config-manager", ["--enable", ...disabled]);
      else await run(ctx, "dnf", ["config-manager", "--set-enabled", ...disabled]);
    }
  },
};
