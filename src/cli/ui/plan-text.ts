import type { Plan } from "../../plan/types.js";

/** The offline plan as people read it: phases, then each step with its host and marks. */
export function formatOfflinePlan(plan: Plan): string {
  const lines = [`cluster ${plan.cluster} (${plan.distro}, DRBD ${plan.drbd}, pcs ${plan.pcs}): ${plan.steps.length} steps`];
  let phase = "";
  for (const s of plan.steps) {
    if (s.phase !== phase) {
      phase = s.phase;
      lines.push("", `${phase}:`);
    }
    lines.push(`  ${s.destructive ? "!" : " "} ${s.id.padEnd(44)} ${s.title}${s.destructive ? "  [destructive]" : ""}`);
  }
  const legend = plan.steps.some((s) => s.kind === "cluster-destroy") ? "! = destructive: destroys data; only in the plan with --wipe." : "! = destructive: refused over existing data unless forced for that device.";
  lines.push("", legend);
  return lines.join("\n") + "\n";
}
