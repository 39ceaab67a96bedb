import type { StepContext } from "./types.js";
import { probe } from "./util.js";

/** Running corosync's cluster name and ring0 addresses, or undefined when corosync is down. */
export async function runningCorosync(ctx: StepContext): Promise<{ name: string; addresses: string[] } | undefined> {
  const active = await probe(ctx, "systemctl", ["is-active", "corosync"]);
  if (active.stdout.trim() !== "active") return undefined;
  const name = (await probe(ctx, "corosync-cmapctl", ["-g", "totem.cluster_name"])).stdout.split("=").pop()?.trim() ?? "";
  const nodes = (await probe(ctx, "corosync-cmapctl", ["-b", "nodelist.node"])).stdout;
  const addresses = [...nodes.matchAll(/ring0_addr \(str\) = (\S+)/g)].map((m) => m[1] as string).sort();
  return { name, addresses };
}

function configured(content: string): { name: string; addresses: string[] } {
  return {
    name: /cluster_name:\s*(\S+)/.exec(content)?.[1] ?? "",
    addresses: [...content.matchAll(/ring0_addr:\s*(\S+)/g)].map((m) => m[1] as string).sort(),
  };
}

/**
 * A reload covers most corosync.conf changes; a new cluster name or node list needs a
 * restart. undefined when corosync is not running (nothing to reload or restart).
 */
export async function corosyncNeedsRestart(ctx: StepContext, content: string): Promise<boolean | undefined> {
  const running = await runningCorosync(ctx);
  if (!running) return undefined;
  const want = configured(content);
  return running.name !== want.name || running.addresses.join(",") !== want.addresses.join(",");
}
